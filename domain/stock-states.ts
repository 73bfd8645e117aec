/** The states a unit of stock can be in (issue 14), shared by the API's schemas and the SKU object. */

/** Where units are: sellable (on hand and available), `damaged` or `onHold`. */
export const STOCK_STATES = ["sellable", "damaged", "on_hold"] as const;
export type StockState = (typeof STOCK_STATES)[number];
/** Where units may go: a state, or out of the building (disposal). */
export const STOCK_TARGETS = [...STOCK_STATES, "written_off"] as const;
export type StockTarget = (typeof STOCK_TARGETS)[number];
