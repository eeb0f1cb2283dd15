/** Rankers: the true-reward ranker orders by r* with the documented tie rule; the Bradley–Terry ranker's
 * pairwise preferences follow σ((r_a − r_b)/τ) (a seeded statistical test with a binomial bound). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { BradleyTerryRanker, TrueRewardRanker, makeRanker } from '../../src/lab/judges.js';

const reward =
  (values: number[]) =>
  (_x: readonly number[], y: readonly number[]): number =>
    values[y[0]!]!;

describe('TrueRewardRanker', () => {
  it('returns a permutation with non-increasing r*, equal rewards in the given order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 7 }), (values) => {
        const candidates = values.map((_, i) => [i]);
        const order = new TrueRewardRanker(reward(values)).rank([0], candidates);
        expect([...order].sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
        for (let i = 1; i < order.length; i++) {
          const a = values[order[i - 1]!]!;
          const b = values[order[i]!]!;
          expect(a).toBeGreaterThanOrEqual(b);
          if (a === b) expect(order[i - 1]!).toBeLessThan(order[i]!);
        }
      }),
    );
  });
});

describe('BradleyTerryRanker', () => {
  it('prefers a over b with probability σ((r_a − r_b)/τ) (within 4 binomial standard deviations)', () => {
    for (const [ra, rb, tau] of [
      [1, 0, 1],
      [0.5, 0, 0.25],
      [0, 2, 1],
    ] as const) {
      const ranker = new BradleyTerryRanker(reward([ra, rb]), new Generator(7), tau);
      const n = 4000;
      let wins = 0;
      for (let i = 0; i < n; i++) if (ranker.rank([0], [[0], [1]])[0] === 0) wins++;
      const p = 1 / (1 + Math.exp(-(ra - rb) / tau));
      expect(Math.abs(wins / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('returns a permutation, does not overflow on huge rewards, and rejects a bad temperature', () => {
    const ranker = new BradleyTerryRanker(reward([1e6, -1e6, 0]), new Generator(1));
    expect(ranker.rank([0], [[0], [1], [2]])).toEqual([0, 2, 1]);
    expect(() => new BradleyTerryRanker(reward([0]), new Generator(1), 0)).toThrow(/temperature/);
  });

  it('makeRanker builds either kind from a config', () => {
    expect(makeRanker({ kind: 'true-reward' }, reward([0]), new Generator(0)).name).toBe('true-reward');
    expect(makeRanker({ kind: 'bradley-terry', temperature: 2 }, reward([0]), new Generator(0)).name).toBe('bradley-terry');
  });
});
