/**
 * Ridge-penalised Poisson regression with a log link, fitted by Newton–Raphson (IRLS). Pure.
 *
 * Used to estimate a pool's weekday and yearly factors from its aggregate daily units: the
 * log of expected units is a linear model plus an offset (the parent pool's factors and the
 * number of SKUs selling that day), and the penalty shrinks a child pool's deviations from its
 * parent — a ridge penalty λ on a coefficient is a normal prior with standard deviation
 * 1/√λ, in the units of the Fisher information (expected units), as in penalised GLMs
 * (Hastie, Tibshirani & Friedman, "The Elements of Statistical Learning", §4.4.4).
 */

export interface PoissonRegressionInput {
  /** Row-major design matrix: `rows` × `cols`. Column 0 must be the intercept. */
  x: Float64Array;
  rows: number;
  cols: number;
  /** Observed counts, one per row. */
  y: ArrayLike<number>;
  /** Known log-scale offset, one per row. */
  offset: ArrayLike<number>;
  /** Ridge penalty per column (0 = unpenalised). */
  penalty: readonly number[];
}

/** Solves the symmetric positive-definite system `a·x = b` (a is `n`×`n`, row-major) by Cholesky; overwrites `a`. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! ** 2;
    // A direction the data and the penalty leave undetermined gets no step.
    const djj = Math.sqrt(Math.max(d, 1e-12));
    a[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / djj;
    }
  }
  const x = new Float64Array(b);
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * x[k]!;
    x[i] = s / a[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * x[k]!;
    x[i] = s / a[i * n + i]!;
  }
  return x;
}

/** Penalised Poisson log-likelihood (up to a constant) and the linear predictors' means. */
function objective(input: PoissonRegressionInput, beta: Float64Array, mu: Float64Array): number {
  const { x, rows, cols, y, offset, penalty } = input;
  let ll = 0;
  for (let i = 0; i < rows; i++) {
    let eta = offset[i]!;
    for (let j = 0; j < cols; j++) eta += x[i * cols + j]! * beta[j]!;
    eta = Math.min(eta, 40);
    const m = Math.exp(eta);
    mu[i] = m;
    ll += y[i]! * eta - m;
  }
  for (let j = 0; j < cols; j++) ll -= 0.5 * penalty[j]! * beta[j]! ** 2;
  return ll;
}

/**
 * The coefficients maximising the penalised Poisson log-likelihood
 * Σ [yᵢ ηᵢ − exp ηᵢ] − ½ Σ λⱼ βⱼ², with ηᵢ = offsetᵢ + xᵢ·β. Newton steps with step halving;
 * stops when no coefficient moves by more than 1e-7 (or after 50 steps).
 */
export function fitPoissonRegression(input: PoissonRegressionInput): Float64Array {
  const { x, rows, cols, y, offset, penalty } = input;
  const beta = new Float64Array(cols);
  let sumY = 0;
  let sumE = 0;
  for (let i = 0; i < rows; i++) {
    sumY += y[i]!;
    sumE += Math.exp(offset[i]!);
  }
  beta[0] = sumY > 0 && sumE > 0 ? Math.log(sumY / sumE) : 0;
  const mu = new Float64Array(rows);
  let ll = objective(input, beta, mu);
  for (let iter = 0; iter < 50; iter++) {
    const h = new Float64Array(cols * cols);
    const g = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const m = mu[i]!;
      const r = y[i]! - m;
      const row = i * cols;
      for (let j = 0; j < cols; j++) {
        const xj = x[row + j]!;
        if (xj === 0) continue;
        g[j]! += xj * r;
        const mx = m * xj;
        for (let k = 0; k <= j; k++) h[j * cols + k]! += mx * x[row + k]!;
      }
    }
    for (let j = 0; j < cols; j++) {
      g[j]! -= penalty[j]! * beta[j]!;
      h[j * cols + j]! += penalty[j]!;
      for (let k = 0; k < j; k++) h[k * cols + j] = h[j * cols + k]!;
    }
    const step = solveSpd(h, g, cols);
    let t = 1;
    let next = new Float64Array(cols);
    let nextLl = -Infinity;
    for (let halving = 0; halving < 30; halving++) {
      next = beta.map((b, j) => b + t * step[j]!);
      nextLl = objective(input, next, mu);
      if (nextLl >= ll - 1e-9 * Math.abs(ll)) break;
      t /= 2;
    }
    let moved = 0;
    for (let j = 0; j < cols; j++) moved = Math.max(moved, Math.abs(next[j]! - beta[j]!));
    beta.set(next);
    ll = nextLl;
    if (moved < 1e-7) break;
  }
  return beta;
}
