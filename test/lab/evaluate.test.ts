/** Evaluation by r*: exact expectations in the bandit, win rates with ties as one half, histograms, and the
 * mean ± 95% interval (Student t) the reports use. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { evaluateModel, histogram, winProbability, winRate, sortedImplicitDifference } from '../../src/lab/evaluate.js';
import { meanInterval, pairedDifference, tQuantile975 } from '../../src/lab/stats.js';
import { DEFAULT_BANDIT, makeBanditWorld } from '../../src/lab/worlds/bandit.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';

describe('win rates by r*', () => {
  it('P(A > B) + ½ P(A = B) is exact on small distributions and complements: w(A,B) + w(B,A) = 1', () => {
    const a = { values: [0, 1, 2], weights: [0.2, 0.5, 0.3] };
    const b = { values: [1, 3], weights: [0.6, 0.4] };
    // A beats B only with 2 vs 1: 0.3 · 0.6; ties only 1 vs 1: 0.5 · 0.6 / 2.
    expect(winProbability(a, b)).toBeCloseTo(0.18 + 0.15, 15);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        (va, vb) => {
          const da = { values: va, weights: va.map(() => 1 / va.length) };
          const db = { values: vb, weights: vb.map(() => 1 / vb.length) };
          expect(winProbability(da, db) + winProbability(db, da)).toBeCloseTo(1, 12);
          expect(winProbability(da, da)).toBeCloseTo(0.5, 12);
        },
      ),
    );
  });

  it('evaluateModel is exact in the bandit: mean sampled r* = Σ_y π(y|x) r*(x, y) over held-out prompts', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 1);
    const policy = new TabularPolicy(world.sftLogProbs);
    const e = evaluateModel(world, policy, null, { samples: 4, beta: 0.1 }, new Generator(0));
    const exact =
      world.testPrompts.reduce(
        (acc, x) => acc + world.sftLogProbs[x[0]!]!.reduce((s, lp, k) => s + Math.exp(lp) * world.rewards[x[0]!]![k]!, 0),
        0,
      ) / world.testPrompts.length;
    expect(e.meanSampled).toBeCloseTo(exact, 12);
    expect(e.greedy.every((r) => r === 1)).toBe(true); // π_SFT's mode is the local optimum
    expect(winRate(e, e)).toBeCloseTo(0.5, 12);
  });

  it('implicit rewards are β(log πθ − log π_ref) on held-out pairs: zero when πθ = π_ref', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 1);
    const policy = new TabularPolicy(world.sftLogProbs);
    const e = evaluateModel(world, policy, policy.clone(), { samples: 4, beta: 0.1 }, new Generator(0));
    expect(e.implicitChosen!.every((v) => v === 0)).toBe(true);
    expect(sortedImplicitDifference(e, e, 'rejected').every((v) => v === 0)).toBe(true);
  });
});

describe('histograms and intervals', () => {
  it('histogram fractions sum to 1 and put the top edge in the last bin', () => {
    expect(histogram([0, 0.5, 1, 2, 2], 4, 0, 2)).toEqual([0.2, 0.2, 0.2, 0.4]);
  });

  it('the 95% interval is mean ± t_{0.975, n−1} s / sqrt(n)', () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.halfWidth).toBeCloseTo(4.303 * (1 / Math.sqrt(3)), 12);
    expect(tQuantile975(4)).toBe(2.776);
    expect(Number.isNaN(meanInterval([5]).halfWidth)).toBe(true);
    expect(pairedDifference([3, 4, 5], [1, 2, 3])).toMatchObject({ mean: 2, halfWidth: 0 });
  });
});
