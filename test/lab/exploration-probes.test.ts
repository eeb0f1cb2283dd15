/**
 * Issue 12's probes beyond the bandit's exact metrics: the transfer probe (does a policy generalise across
 * responses? exactly 0 in a table), the language world's exploration metrics on the tiny GPT, and the lab's
 * divergence checks inside a study's seeds.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BANDIT_EXPERIMENT, DEFAULT_LANGUAGE_EXPERIMENT } from '../../src/lab/config.js';
import { runComparisonSeed, type ComparisonMethod } from '../../src/lab/exploration.js';
import { DEFAULT_GPT_SETTINGS, runLanguageComparisonSeed } from '../../src/lab/language-exploration.js';
import { summarizeStudy } from '../../src/lab/study-summary.js';
import { studyText } from '../../src/lab/study-report.js';
import { runStudy, type StudyConfig } from '../../src/lab/study.js';
import { languageNeighbour } from '../../src/lab/transfer.js';
import { DEFAULT_BANDIT } from '../../src/lab/worlds/bandit.js';
import type { LanguageConfig } from '../../src/lab/worlds/language.js';

const method = (name: string, alpha: number, learningRate = 3, yRefTemperature = 1): ComparisonMethod => ({
  name,
  alpha,
  learningRate,
  epochs: 2,
  yRefTemperature,
});

describe('the transfer probe', () => {
  it('is 0 in the table (the margin gradient touches only y_w and y_l) and clearly positive with RBF features', () => {
    for (const seed of [0, 1]) {
      const table = runComparisonSeed(DEFAULT_BANDIT, DEFAULT_BANDIT_EXPERIMENT.algorithm, [method('d', 0), method('s', 1)], seed);
      for (const its of Object.values(table.methods)) for (const m of its.slice(1)) expect(Math.abs(m.transfer)).toBeLessThan(1e-9);
      const smooth = runComparisonSeed({ ...DEFAULT_BANDIT, featureWidth: 2 }, DEFAULT_BANDIT_EXPERIMENT.algorithm, [method('d', 0)], seed);
      for (const m of smooth.methods.d!.slice(1)) expect(m.transfer).toBeGreaterThan(0.1);
    }
  });

  it("the language world's neighbour changes the last letter, keeps EOS and skips trained responses", () => {
    const n = languageNeighbour(4, 6, 2);
    expect(n([0], [4, 5, 2], new Set())).toEqual([4, 6, 2]);
    expect(n([0], [4, 9, 2], new Set())).toEqual([4, 4, 2]); // wraps round the alphabet
    expect(n([0], [4, 5, 2], new Set(['4,6,2']))).toEqual([4, 7, 2]);
    expect(n([0], [2], new Set())).toBeNull(); // nothing to change
  });
});

describe('exploration in the language world', () => {
  it('a seed gives every metric in range, the same SFT metrics to every method, and a GPT that transfers margins', () => {
    const algorithm = { ...DEFAULT_LANGUAGE_EXPERIMENT.algorithm, iterations: 2, epochs: 1 };
    const gpt = { ...DEFAULT_GPT_SETTINGS, sft: { ...DEFAULT_GPT_SETTINGS.sft, steps: 20 }, samples: 2 };
    const world = { ...(DEFAULT_LANGUAGE_EXPERIMENT.world as LanguageConfig), pairsPerPrompt: 4 };
    const r = runLanguageComparisonSeed(
      world,
      algorithm,
      [method('DPO', 0, 2e-3), method('SELM', 1, 2e-3), method('tempered', 0, 2e-3, 2)],
      0,
      gpt,
    );
    expect(r.methods.DPO![0]).toEqual(r.methods.SELM![0]);
    for (const its of Object.values(r.methods)) {
      expect(its).toHaveLength(3);
      for (const m of its) {
        for (const v of [m.found, m.massBetter, m.touch]) expect(v >= 0 && v <= 1).toBe(true);
        expect(m.meanReward >= 0 && m.meanReward <= 2 && m.greedyReward >= 0 && m.greedyReward <= 2).toBe(true);
      }
      for (const m of its.slice(1)) expect(Math.abs(m.transfer)).toBeGreaterThan(0.05);
    }
    // The tempered control samples y_ref at τ = 2: its ranked pairs differ from DPO's.
    expect(r.methods.tempered!.map((m) => m.yRefRegret)).not.toEqual(r.methods.DPO!.map((m) => m.yRefRegret));
  });
});

describe("the lab's divergence checks inside a study", () => {
  it('a budget that blows the weights up is flagged per method and counted over the evaluation seeds', async () => {
    const config: StudyConfig = {
      name: 'blowup',
      title: 'blow-up',
      world: { ...DEFAULT_BANDIT, featureWidth: 2 },
      algorithm: { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, iterations: 1, epochs: 1 },
      tuningSeeds: [1000, 1001],
      evaluationSeeds: [0, 1],
      alphas: [1],
      learningRates: [3, 1e7],
      defaultLearningRate: 3,
      temperatures: [2],
    };
    const s = summarizeStudy(await runStudy(config));
    const flagged = s.divergence.filter((d) => d.kind === 'weights');
    expect(flagged.map((d) => d.method).sort()).toEqual(['DPO lr=10000000', 'SELM α=1 lr=10000000']);
    expect(s.divergence.some((d) => d.method.endsWith('lr=3'))).toBe(false);
    expect(studyText(s)).toContain('weights diverged on 2 of 2 evaluation seeds');
  });
});
