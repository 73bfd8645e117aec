/**
 * Demand forecasting (issue 15), pure: plain histories in, plain models and forecasts out.
 *
 * Typical use (a REORDER job): `fitForecastModels(histories)` once a day with yesterday as
 * every history's origin; store the pools and models; answer API calls with
 * `forecastDemand(model)`, `expectedStockout(model, position)` and `leadTimeDemand(model, L)`.
 */
export { dayNumber, isoDay, weekdayOf } from "./calendar";
export { FLAT_PROFILE, profileFactor, type CalendarProfile } from "./calendar-profile";
export { ADI_CUTOFF, CV2_CUTOFF, classifyDemand } from "./demand-classification";
export { fitPoolProfiles, DEFAULT_POOL_OPTIONS, type PoolOptions } from "./pool-profiles";
export { fitForecastModel, DEFAULT_MODEL_OPTIONS, type ModelOptions } from "./sku-model";
export { fitForecastModels, type BatchOptions } from "./batch-fit";
export { dailyMeans, expectedStockout, forecastDemand, leadTimeDemand } from "./demand-forecast";
export { levelErrorAt, LEVEL_ERROR_HORIZONS } from "./level-error";
export { countQuantiles, hurdleQuantiles } from "./count-distribution";
export {
  ROOT_POOL,
  type DayForecast,
  type DemandClass,
  type DemandClassification,
  type DemandForecast,
  type ForecastMethod,
  type ForecastModel,
  type HorizonForecast,
  type Interval,
  type LevelError,
  type PoolProfile,
  type SalesHistory,
} from "./forecast-model";
