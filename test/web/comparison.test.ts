/**
 * The step-through's and the seeds panel's data (web/comparison.ts): the lab's comparison unit, recorded
 * iteration by iteration, in the table and the smooth world, with the DPO* and tempered-y_ref controls. Each
 * recorded triple must be what Algorithm 1's steps 2-3 say (the ranked best and worst of {y_w, y_l, y_ref}
 * under the true-reward ranker); DPO and SELM must be `selm train`'s numbers.
 */
import { describe, expect, it } from 'vitest';
import { runBanditComparison } from '../helpers/bandit-run.js';
import {
  DEFAULT_COMPARISON,
  LEARNING_RATES,
  TUNING_SEEDS,
  runComparison,
  runSeeds,
  tuneDpoStar,
  validateComparison,
  type ComparisonRun,
  type ComparisonSettings,
} from '../../web/comparison.js';

const table: ComparisonSettings = {
  ...DEFAULT_COMPARISON,
  alpha: 3,
  beta: 0.5,
  iterations: 3,
  seed: 2,
  featureWidth: 0,
  dpoStarLearningRate: null,
  temperature: null,
};

function checkTriples(run: ComparisonRun): void {
  for (const m of run.methods) {
    expect(m.records.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
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
}

/** The responses of `task` that appear in no pair trained on in iteration 1. */
function untouched(run: ComparisonRun, method: number, task: number): number[] {
  const seen = new Set(run.methods[method]!.records[1]!.triples.filter((x) => x.task === task).flatMap((x) => [x.chosen, x.rejected]));
  return run.rewards[task]!.map((_, k) => k).filter((k) => !seen.has(k));
}

describe('runComparison: Algorithm 1 recorded per iteration', () => {
  it('table world: DPO and SELM are selm train’s runs, and every triple is steps 2-3', async () => {
    const run = runComparison(table);
    expect(run.methods.map((m) => m.name)).toEqual(['DPO', 'SELM']);
    checkTriples(run);
    const reference = await runBanditComparison({ alpha: 3, beta: 0.5, iterations: 3, seed: 2 });
    const [dpo, selm] = run.methods;
    dpo!.records.forEach((r, t) => expect(r.meanReward).toBeCloseTo(reference.dpo.meanReward[t]!, 12));
    selm!.records.forEach((r, t) => expect(r.meanReward).toBeCloseTo(reference.selm.meanReward[t]!, 12));
    // Both methods see the same prompts and offline pairs, and iteration 1's y_ref come from π_SFT by one stream.
    expect(selm!.records[1]!.triples).toHaveLength(dpo!.records[1]!.triples.length);
    expect(selm!.records[1]!.triples.map((t) => [t.task, t.instance, t.offeredChosen, t.yRef])).toEqual(
      dpo!.records[1]!.triples.map((t) => [t.task, t.instance, t.offeredChosen, t.yRef]),
    );
  });

  it('the world selector reaches the policy: in the table every unseen response keeps one ratio to π_ref, in the smooth world not', () => {
    const ratios = (run: ComparisonRun, task: number): number[] => {
      const dpo = run.methods[0]!;
      return untouched(run, 0, task).map((k) => dpo.records[1]!.probs[task]![k]! / dpo.records[0]!.probs[task]![k]!);
    };
    const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
    const tableRun = runComparison(table);
    const smoothRun = runComparison({ ...table, featureWidth: 2 });
    checkTriples(smoothRun);
    for (let task = 0; task < 4; task++) {
      expect(untouched(tableRun, 0, task).length).toBeGreaterThan(1);
      expect(spread(ratios(tableRun, task))).toBeLessThan(1e-9);
    }
    expect(Math.max(...[0, 1, 2, 3].map((task) => spread(ratios(smoothRun, task))))).toBeGreaterThan(1e-3);
  });

  it('the controls: DPO* is DPO at its own budget, tempered y_ref samples y_ref from a flatter π_ref', () => {
    const run = runComparison({ ...table, featureWidth: 2, dpoStarLearningRate: 30, temperature: 3 });
    expect(run.methods.map((m) => m.name)).toEqual(['DPO', 'SELM', 'DPO*', 'tempered y_ref']);
    checkTriples(run);
    const [dpo, , dpoStar, tempered] = run.methods;
    expect(dpoStar!.method).toMatchObject({ alpha: 0, learningRate: 30, yRefTemperature: 1 });
    expect(tempered!.method).toMatchObject({ alpha: 0, learningRate: table.learningRate, yRefTemperature: 3 });
    // DPO* at DPO's own budget is DPO, number for number.
    const same = runComparison({ ...table, featureWidth: 2, dpoStarLearningRate: table.learningRate });
    expect(same.methods[2]!.records.map((r) => r.meanReward)).toEqual(same.methods[0]!.records.map((r) => r.meanReward));
    expect(dpoStar!.records.at(-1)!.meanReward).not.toBe(dpo!.records.at(-1)!.meanReward);
    // A flatter y_ref distribution: more y_ref off the demonstrations' hill than DPO's draws from π_SFT.
    const far = (m: typeof dpo): number => m!.records[1]!.triples.filter((x) => x.yRef >= 6).length;
    expect(far(tempered)).toBeGreaterThan(far(dpo));
  });

  it('tuneDpoStar picks the budget with the best mean final r* over the tuning seeds', async () => {
    const settings = { featureWidth: 2, beta: 0.5, iterations: 1 };
    const tuning = await tuneDpoStar(settings);
    expect(tuning.meanReward).toHaveLength(LEARNING_RATES.length);
    expect(tuning.learningRate).toBe(LEARNING_RATES[tuning.meanReward.indexOf(Math.max(...tuning.meanReward))]);
    const lr = 10;
    const direct = TUNING_SEEDS.map(
      (seed) => runComparison({ ...table, ...settings, seed, learningRate: lr }).methods[0]!.records.at(-1)!.meanReward,
    );
    expect(tuning.meanReward[LEARNING_RATES.indexOf(lr)]).toBeCloseTo(direct.reduce((a, b) => a + b, 0) / direct.length, 12);
  });

  it('runSeeds keeps each seed’s final numbers, equal to a one-seed run', async () => {
    const settings = { ...table, iterations: 2, featureWidth: 1.5, temperature: 2 };
    const seeds = await runSeeds(settings, [0, 5]);
    expect(seeds.methods).toEqual(['DPO', 'SELM', 'tempered y_ref']);
    const one = runComparison({ ...settings, seed: 5 });
    for (const [i, name] of seeds.methods.entries()) {
      const last = one.methods[i]!.records[2]!;
      expect(seeds.outcomes[1]!.finalReward[name]).toBe(last.meanReward);
      expect(seeds.outcomes[1]!.found[name]).toBe(last.found);
    }
  });

  it('refuses settings the lab would refuse, all problems at once', () => {
    const problems = validateComparison({ ...table, alpha: 0, featureWidth: -1, temperature: 0.5, learningRate: 0 });
    expect(problems.join('\n')).toMatch(/alpha/);
    expect(problems.join('\n')).toMatch(/featureWidth/);
    expect(problems.join('\n')).toMatch(/temperature/);
    expect(problems.join('\n')).toMatch(/learningRate/);
    expect(() => runComparison({ ...table, temperature: 1 })).toThrow(/temperature/);
  });
});
