/**
 * The step-through's and the seeds panel's data (web/comparison.ts): the lab's runner, recorded iteration by
 * iteration. Each recorded triple must be what Algorithm 1's steps 2-3 say (the ranked best and worst of
 * {y_w, y_l, y_ref} under the true-reward ranker), and the numbers must be the runner's.
 */
import { describe, expect, it } from 'vitest';
import { runBanditComparison } from '../../web/bandit-run.js';
import { betterHillMass, runComparison, runSeeds } from '../../web/comparison.js';

const settings = { alpha: 3, beta: 0.5, iterations: 3, seed: 2 };

describe('runComparison: Algorithm 1 recorded per iteration', () => {
  it('records every method, every iteration, and steps 2-3 of each triple', async () => {
    const run = await runComparison(settings);
    expect(run.methods.map((m) => m.name)).toEqual(['DPO', 'SELM']);
    const reference = await runBanditComparison(settings);
    for (const m of run.methods) {
      expect(m.records.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
      const curve = m.name === 'DPO' ? reference.dpo.meanReward : reference.selm.meanReward;
      expect(m.records.map((r) => r.meanReward)).toEqual(curve);
      for (const r of m.records.slice(1)) {
        expect(r.triples.length).toBe(96 / 3);
        for (const t of r.triples) {
          const rs = run.rewards[t.task]!;
          const candidates = [t.offeredChosen, t.offeredRejected, t.yRef];
          const values = candidates.map((k) => rs[k]!);
          expect(rs[t.chosen]).toBe(Math.max(...values));
          expect(rs[t.rejected]).toBe(Math.min(...values));
          expect(candidates).toContain(t.chosen);
          expect(candidates).toContain(t.rejected);
        }
        for (const row of r.probs) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
    }
    // Both methods see the same prompts and the same offline pairs in each portion.
    const [dpo, selm] = run.methods;
    expect(selm!.records[1]!.triples.map((t) => [t.task, t.instance, t.offeredChosen])).toEqual(
      dpo!.records[1]!.triples.map((t) => [t.task, t.instance, t.offeredChosen]),
    );
    // Iteration 1's y_ref are sampled from π_SFT by the same generator stream for both: the same draws.
    expect(selm!.records[1]!.triples.map((t) => t.yRef)).toEqual(dpo!.records[1]!.triples.map((t) => t.yRef));
  });

  it('runSeeds keeps each seed’s final numbers, equal to a one-seed run', async () => {
    const seeds = await runSeeds({ ...settings, iterations: 2 }, [0, 5]);
    expect(seeds.methods).toEqual(['DPO', 'SELM']);
    const one = await runComparison({ ...settings, iterations: 2, seed: 5 });
    const selm = one.methods[1]!.records[2]!;
    expect(seeds.outcomes[1]!.finalReward.SELM).toBe(selm.meanReward);
    expect(seeds.outcomes[1]!.betterHillMass.SELM).toBeCloseTo(betterHillMass(selm.probs, one.rewards), 12);
  });
});
