/**
 * Every statistic the lab reports, checked exactly on small inputs worked out by hand (not used as a
 * tolerance anywhere, so a wrong formula fails here instead of loosening another test).
 */
import { describe, expect, it } from 'vitest';
import {
  expectedValue,
  histogram,
  mean,
  sortedImplicitDifference,
  winProbability,
  winRate,
  type ModelEval,
} from '../../src/lab/evaluate.js';
import { curveIntervals, formatInterval, meanInterval, pairedDifference, tQuantile975 } from '../../src/lab/stats.js';

const evalOf = (sampled: ModelEval['sampled'], implicit: Partial<ModelEval> = {}): ModelEval => ({
  greedy: [],
  sampled,
  meanGreedy: 0,
  meanSampled: 0,
  examples: [],
  ...implicit,
});

/**
 * The 97.5% quantile of Student's t with v degrees of freedom, computed here from the density
 * f(x) = Γ((v+1)/2) / (sqrt(vπ) Γ(v/2)) (1 + x²/v)^(-(v+1)/2): Simpson's rule for P(0 < T < t) and Newton's
 * method for P = 0.475. The Gamma ratio by its recurrence r(v+2) = (v+1)/v r(v), r(1) = 1/sqrt(π), r(2) = sqrt(π)/2.
 */
function tQuantileByIntegration(v: number): number {
  let r = v % 2 === 1 ? 1 / Math.sqrt(Math.PI) : Math.sqrt(Math.PI) / 2;
  for (let k = v % 2 === 1 ? 1 : 2; k < v; k += 2) r *= (k + 1) / k;
  const density = (x: number): number => (r / Math.sqrt(v * Math.PI)) * (1 + (x * x) / v) ** (-(v + 1) / 2);
  const probability = (t: number): number => {
    const n = 4000;
    const h = t / n;
    let s = density(0) + density(t);
    for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * density(i * h);
    return (s * h) / 3;
  };
  let t = 2;
  for (let i = 0; i < 60; i++) {
    const step = (probability(t) - 0.475) / density(t);
    t -= step;
    if (Math.abs(step) < 1e-12) break;
  }
  return t;
}

describe('intervals over seeds', () => {
  it("the t table holds every quantile for 1..30 degrees of freedom to its 3 decimals (computed from t's density)", () => {
    for (let v = 1; v <= 30; v++) {
      const exact = tQuantileByIntegration(v);
      expect(Math.abs(tQuantile975(v) - exact), `df ${v}: table ${tQuantile975(v)}, exact ${exact}`).toBeLessThanOrEqual(0.0005 + 1e-9);
    }
    // The integration itself is right where the answer is known in closed form: tan(0.475 π) at 1, and at 2
    // degrees of freedom t = (2p − 1) / sqrt(2 p (1 − p)) with p = 0.975.
    expect(tQuantileByIntegration(1)).toBeCloseTo(Math.tan(0.475 * Math.PI), 6);
    expect(tQuantileByIntegration(2)).toBeCloseTo(0.95 / Math.sqrt(2 * 0.975 * 0.025), 6);
  });

  it("Student's t quantiles: 12.706 at 1 degree of freedom, 2.042 at 30, 1.96 beyond, none below 1", () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(2)).toBe(4.303);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(31)).toBe(1.96);
    expect(tQuantile975(0)).toBeNaN();
  });

  it('[1, 2, 3]: mean 2, s = 1, half-width 4.303 / sqrt(3)', () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.halfWidth).toBeCloseTo(4.303 / Math.sqrt(3), 14);
    expect(i.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 14);
    expect(i.high).toBeCloseTo(2 + 4.303 / Math.sqrt(3), 14);
    expect(i.n).toBe(3);
  });

  it('[2, 4]: the n − 1 variance (s² = 2, not 1): half-width 12.706 · sqrt(2 / 2)', () => {
    expect(meanInterval([2, 4]).halfWidth).toBeCloseTo(12.706, 12);
  });

  it('one value has a mean and no interval; none has neither', () => {
    const one = meanInterval([0.25]);
    expect([one.mean, one.halfWidth, one.n]).toEqual([0.25, Number.NaN, 1]);
    expect(meanInterval([]).mean).toBeNaN();
    expect(formatInterval(one)).toBe('0.250');
    expect(formatInterval(meanInterval([]))).toBe('n/a');
    expect(formatInterval(meanInterval([1, 2, 3]))).toBe(`2.000 ± ${(4.303 / Math.sqrt(3)).toFixed(3)}`);
  });

  it('paired differences: a − b per seed, then the interval of those ([3, 5] − [1, 2] = [2, 3])', () => {
    const d = pairedDifference([3, 5], [1, 2]);
    expect(d.mean).toBe(2.5);
    expect(d.halfWidth).toBeCloseTo((12.706 * Math.sqrt(0.5)) / Math.sqrt(2), 12);
    expect(() => pairedDifference([1], [1, 2])).toThrow();
  });

  it('curves: pointwise over the shortest length', () => {
    const c = curveIntervals([
      [1, 2, 9],
      [3, 4],
    ]);
    expect(c.map((i) => i.mean)).toEqual([2, 3]);
    expect(curveIntervals([])).toEqual([]);
  });
});

describe('rewards and win rates', () => {
  it('mean, expected value', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
    expect(expectedValue({ values: [0, 1, 3], weights: [0.5, 0.25, 0.25] })).toBe(1);
  });

  it('P(A > B) + ½ P(A = B) by hand: A ∈ {0, 1} evenly, B = 1 surely gives ½ · ½ = 0.25', () => {
    const a = { values: [0, 1], weights: [0.5, 0.5] };
    const b = { values: [1], weights: [1] };
    expect(winProbability(a, b)).toBe(0.25);
    expect(winProbability(b, a)).toBe(0.75);
    expect(winRate(evalOf([a, b]), evalOf([b, a]))).toBe(0.5);
    expect(winRate(evalOf([a, a]), evalOf([b, b]))).toBe(0.25);
  });

  it('histogram: equal-width bins over [low, high], the top edge in the last bin, fractions', () => {
    expect(histogram([0, 0.5, 1, 0.49], 2, 0, 1)).toEqual([0.5, 0.5]);
    expect(histogram([0, 0.3, 0.8, 1], 4, 0, 1)).toEqual([0.25, 0.25, 0, 0.5]);
    expect(histogram([], 3, 0, 1)).toEqual([0, 0, 0]);
  });

  it('sorted implicit-reward differences', () => {
    const a = evalOf([], { implicitChosen: [3, 1, 2], implicitRejected: [0, 0, 0] });
    const b = evalOf([], { implicitChosen: [1, 1, 1], implicitRejected: [1, 2, 3] });
    expect(sortedImplicitDifference(a, b, 'chosen')).toEqual([0, 1, 2]);
    expect(sortedImplicitDifference(a, b, 'rejected')).toEqual([-3, -2, -1]);
    expect(sortedImplicitDifference(a, evalOf([]), 'chosen')).toEqual([]);
  });
});
