/**
 * Schedules equal their formulas at every step, over random configurations (property tests), and the paper's
 * appendix C restart schedule restarts, warms up and peaks where it should.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { linearPeaks, restartSchedule, warmupDecay, type Decay } from '../../src/nn/index.js';

const configArb = fc.record({
  peakLr: fc.integer({ min: 1, max: 1000 }).map((k) => k * 1e-6),
  totalSteps: fc.integer({ min: 1, max: 60 }),
  warmupRatio: fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
  decay: fc.constantFrom<Decay>('constant', 'linear', 'cosine'),
  minFraction: fc.constantFrom(0, 0.1),
});

/** The formulas, written out again: warm-up from 0 over ceil(ratio * total) steps, then the decay. */
function expectedLr(c: { peakLr: number; totalSteps: number; warmupRatio: number; decay: Decay; minFraction: number }, s: number): number {
  const W = Math.ceil(c.warmupRatio * c.totalSteps);
  const min = c.minFraction * c.peakLr;
  if (s < W) return c.peakLr * (s / W);
  if (c.decay === 'constant') return c.peakLr;
  const span = Math.max(1, c.totalSteps - W);
  const done = Math.min(s - W, span) / span;
  const shape = c.decay === 'linear' ? 1 - done : (1 + Math.cos(Math.PI * done)) / 2;
  return min + (c.peakLr - min) * shape;
}

describe('warmupDecay', () => {
  test('equals its formula at every step (and beyond the end)', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const lr = warmupDecay({ ...c, minLr: c.minFraction * c.peakLr });
        for (let s = 0; s < c.totalSteps + 5; s++) {
          if (Math.abs(lr(s) - expectedLr(c, s)) > 1e-18) return false;
        }
        return true;
      }),
    );
  });

  test('shape: 0 at step 0 with warm-up, rising to the peak, then non-increasing, never below minLr', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const minLr = c.minFraction * c.peakLr;
        const lr = warmupDecay({ ...c, minLr });
        const W = Math.ceil(c.warmupRatio * c.totalSteps);
        const values = Array.from({ length: c.totalSteps }, (_, s) => lr(s));
        if (W > 0 && values[0] !== 0) return false;
        if (W < c.totalSteps && Math.abs(values[W]! - c.peakLr) > 1e-18) return false;
        for (let s = 1; s < values.length; s++) {
          if (s <= W && values[s]! < values[s - 1]!) return false;
          if (s > W && values[s]! > values[s - 1]! + 1e-18) return false;
        }
        return values.every((v, s) => v <= c.peakLr + 1e-18 && v >= (s < W ? 0 : minLr - 1e-18));
      }),
    );
  });

  test('a few values by hand: peak 1, 10 steps, warm-up 0.2 (2 steps)', () => {
    const linear = warmupDecay({ peakLr: 1, totalSteps: 10, warmupRatio: 0.2, decay: 'linear' });
    expect([0, 1, 2, 6, 10].map(linear)).toEqual([0, 0.5, 1, 0.5, 0]);
    const cosine = warmupDecay({ peakLr: 1, totalSteps: 10, warmupRatio: 0.2, decay: 'cosine' });
    expect(cosine(6)).toBeCloseTo(0.5, 15);
    expect(cosine(4)).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 15);
  });

  test('bad configurations are clear errors', () => {
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 0 })).toThrow(/totalSteps must be a positive integer/);
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 5, warmupRatio: 1.5 })).toThrow(/warmupRatio must be in \[0, 1\]/);
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 5 })(-1)).toThrow(/step must be a non-negative integer/);
  });
});

describe('restartSchedule (paper appendix C)', () => {
  test('linearPeaks(5e-7, 1e-7, 3) gives 5e-7, 3e-7, 1e-7', () => {
    const peaks = linearPeaks(5e-7, 1e-7, 3);
    expect(peaks[0]).toBe(5e-7);
    expect(peaks[1]).toBeCloseTo(3e-7, 20);
    expect(peaks[2]).toBe(1e-7);
  });

  test('linearPeaks takes a positive whole number of iterations: 2.5, 0.5, 0, -1 and NaN are refused, 1 gives [first]', () => {
    for (const bad of [2.5, 1.5, 0.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => linearPeaks(5e-7, 1e-7, bad), String(bad)).toThrow(/linearPeaks: iterations must be a positive integer/);
    }
    expect(linearPeaks(5e-7, 1e-7, 1)).toEqual([5e-7]);
    expect(linearPeaks(4, 1, 4)).toEqual([4, 3, 2, 1]);
  });

  test('each iteration restarts with its own warm-up (ratio 0.1) and peak', () => {
    const peaks = [5e-7, 3e-7, 1e-7];
    const lr = restartSchedule({ peaks, stepsPerIteration: 20, warmupRatio: 0.1, decay: 'cosine' });
    peaks.forEach((peak, k) => {
      expect(lr(20 * k)).toBe(0);
      expect(lr(20 * k + 1)).toBeCloseTo(peak / 2, 20);
      expect(lr(20 * k + 2)).toBe(peak);
      expect(lr(20 * k + 19)).toBeLessThan(peak * 0.01);
    });
    expect(lr(1000)).toBe(0);
  });

  test('equals the single-cycle schedule shifted to each iteration (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 1, max: 10 }).map((k) => k * 1e-7),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 5 }).map((k) => k / 10),
        fc.constantFrom<Decay>('constant', 'linear', 'cosine'),
        (peaks, lengths, warmupRatio, decay) => {
          const steps = lengths.slice(0, peaks.length);
          const lr = restartSchedule({ peaks, stepsPerIteration: steps, warmupRatio, decay });
          let start = 0;
          for (let k = 0; k < peaks.length; k++) {
            const single = warmupDecay({ peakLr: peaks[k]!, totalSteps: steps[k]!, warmupRatio, decay });
            for (let s = 0; s < steps[k]!; s++) if (lr(start + s) !== single(s)) return false;
            start += steps[k]!;
          }
          return true;
        },
      ),
    );
  });
});
