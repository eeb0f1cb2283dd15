/**
 * Summaries over seeds: the mean with a 95% confidence interval from Student's t distribution (seeds are few,
 * so the normal 1.96 would overstate our certainty), and paired differences for SELM − DPO (the same seed
 * gives both methods the same world, SFT model and preference set, so pairing removes that variance).
 */

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; beyond 30 we use 1.96. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(degreesOfFreedom: number): number {
  if (degreesOfFreedom < 1) return Number.NaN;
  return T975[degreesOfFreedom - 1] ?? 1.96;
}

/** A mean with its 95% interval [low, high]; with one value the interval is undefined (NaN half-width). */
export interface Interval {
  mean: number;
  low: number;
  high: number;
  /** Half-width of the interval: t_{0.975, n−1} · s / sqrt(n). */
  halfWidth: number;
  n: number;
}

export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, halfWidth: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: Number.NaN, high: Number.NaN, halfWidth: Number.NaN, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const halfWidth = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { mean, low: mean - halfWidth, high: mean + halfWidth, halfWidth, n };
}

/** The interval of the paired differences a[i] − b[i] (same seed i). */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} values against ${b.length}`);
  return meanInterval(a.map((v, i) => v - b[i]!));
}

/** "0.123 ± 0.045" (or "0.123" when the interval is undefined). */
export function formatInterval(interval: Interval, digits = 3): string {
  if (Number.isNaN(interval.mean)) return 'n/a';
  const m = interval.mean.toFixed(digits);
  return Number.isNaN(interval.halfWidth) ? m : `${m} ± ${interval.halfWidth.toFixed(digits)}`;
}

/** An interval with its sign (a difference): +0.012 ± 0.003, or n/a. */
export function signed(i: Interval, digits = 3): string {
  return Number.isNaN(i.mean) || i.mean < 0 ? formatInterval(i, digits) : `+${formatInterval(i, digits)}`;
}

/** Pointwise mean and interval of equally long curves (one per seed), as the figures draw them. */
export function curveIntervals(curves: readonly (readonly number[])[]): Interval[] {
  if (curves.length === 0) return [];
  const length = Math.min(...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => meanInterval(curves.map((c) => c[i]!)));
}
