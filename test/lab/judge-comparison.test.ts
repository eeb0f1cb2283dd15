/**
 * The learned-judge report (`selm judges`): per method, mean r* under each judge and the difference paired by
 * seed; the judge's accuracies as means over seeds; only the language world qualifies.
 */
import { describe, expect, test } from 'vitest';
import { defaultsFor } from '../../src/lab/config.js';
import type { ModelEval } from '../../src/lab/evaluate.js';
import { compareJudges, judgeComparisonConfigs, judgeComparisonMarkdown, rankedAgreement } from '../../src/lab/judge-comparison.js';
import { iterationRows } from '../../src/lab/data/iteration-data.js';
import { DEFAULT_LANGUAGE, makeLanguageWorld } from '../../src/lab/worlds/language.js';
import type { LearnedJudgeReport } from '../../src/lab/learned-judge.js';
import { unitKey, type ExperimentResults } from '../../src/lab/runner.js';
import type { ExperimentConfig } from '../../src/lab/config.js';

const evalOf = (sampled: number, greedy: number): ModelEval => ({
  greedy: [greedy],
  sampled: [],
  meanGreedy: greedy,
  meanSampled: sampled,
  examples: [],
});

/** Results whose final DPO/SELM r* sampled per seed are given; greedy is sampled + 1. */
function results(config: ExperimentConfig, dpo: number[], selm: number[]): ExperimentResults {
  const evals: Record<string, ModelEval> = {};
  const T = config.algorithm.iterations;
  config.seeds.forEach((seed, i) => {
    evals[unitKey(seed, 'SFT', 'sft')] = evalOf(0.1, 1.1);
    evals[unitKey(seed, 'DPO', T)] = evalOf(dpo[i]!, dpo[i]! + 1);
    evals[unitKey(seed, 'SELM', T)] = evalOf(selm[i]!, selm[i]! + 1);
  });
  return { config, methods: [], evals, bestReward: 1 };
}

describe('judge comparison', () => {
  test('differences are learned − r* judge, paired by seed; the judge report is averaged over seeds', () => {
    const base = defaultsFor('language');
    base.seeds = [0, 1, 2];
    base.alphaSweep = [];
    const { trueReward, learned } = judgeComparisonConfigs(base);
    expect(trueReward.ranker).toEqual({ kind: 'true-reward' });
    expect(learned.ranker).toMatchObject({ kind: 'learned', steps: 200, lr: 3e-3 });
    const report = (a: number): LearnedJudgeReport => ({
      trainPairs: 10,
      heldOutPairs: 5,
      heldOutAccuracy: a,
      trueRewardAgreement: a + 0.1,
      labelCeiling: 0.9,
      finalLoss: 0.3,
    });
    const c = compareJudges(results(trueReward, [0.5, 0.6, 0.7], [0.6, 0.7, 0.8]), results(learned, [0.4, 0.5, 0.6], [0.3, 0.5, 0.7]), [
      report(0.6),
      report(0.7),
      report(0.8),
    ]);
    const dpo = c.rows.find((r) => r.method === 'DPO')!;
    const selm = c.rows.find((r) => r.method === 'SELM')!;
    // DPO loses exactly 0.1 on every seed: a zero-width interval at −0.1.
    expect(dpo.difference.sampled.mean).toBeCloseTo(-0.1, 12);
    expect(dpo.difference.sampled.halfWidth).toBeCloseTo(0, 12);
    expect(selm.difference.sampled.mean).toBeCloseTo(-0.2, 12);
    expect(selm.difference.greedy.mean).toBeCloseTo(-0.2, 12);
    expect(selm.learned.sampled.mean).toBeCloseTo(0.5, 12);
    expect(c.selmMinusDpo.trueReward.mean).toBeCloseTo(0.1, 12);
    expect(c.selmMinusDpo.learned.mean).toBeCloseTo(0, 12);
    expect(c.judge.heldOutAccuracy.mean).toBeCloseTo(0.7, 12);
    expect(c.judge.trueRewardAgreement.mean).toBeCloseTo(0.8, 12);
    const md = judgeComparisonMarkdown(c);
    expect(md).toMatch(/\| DPO \| 0\.600 ± 0\.248 \| 0\.500 ± 0\.248 \| -0\.100 ± 0\.000 \|/);
    expect(md).toMatch(/agrees with r\* on 80\.0 ± 24\.8% of the held-out pairs/);
    expect(md).toMatch(/DPO: .*the interval excludes 0 \(the learned judge costs\)/);
  });

  test("rankedAgreement reads a D_t back and counts the judge's chosen against r*: all, then none when reversed", () => {
    const world = makeLanguageWorld(DEFAULT_LANGUAGE, 0);
    const separated = world.preferences.filter((p) => world.trueReward(p.prompt, p.chosen) !== world.trueReward(p.prompt, p.rejected));
    const byTruth = separated.map((p) =>
      world.trueReward(p.prompt, p.chosen) > world.trueReward(p.prompt, p.rejected) ? p : { ...p, chosen: p.rejected, rejected: p.chosen },
    );
    const jsonl = (ps: typeof byTruth): string =>
      iterationRows(
        world,
        ps.map((p) => ({ ...p, yRef: null })),
        null,
      )
        .map((r) => JSON.stringify(r))
        .join('\n');
    const right = rankedAgreement(world, jsonl(byTruth));
    expect(right.rows).toBe(byTruth.length);
    expect(right.checked).toBe(byTruth.length);
    expect(right.agree).toBe(right.separated);
    expect(right.separated).toBe(byTruth.length);
    const wrong = rankedAgreement(world, jsonl(byTruth.map((p) => ({ ...p, chosen: p.rejected, rejected: p.chosen }))));
    expect(wrong.separated).toBe(byTruth.length);
    expect(wrong.agree).toBe(0);
  });

  test('only the language world has both a known r* and token sequences', () => {
    expect(() => judgeComparisonConfigs(defaultsFor('bandit'))).toThrow(
      /needs a world with a known r\* and token sequences .* got 'bandit'/,
    );
    expect(() => judgeComparisonConfigs(defaultsFor('text'))).toThrow(/got 'text'/);
  });
});
