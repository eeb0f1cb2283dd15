/**
 * The learned judge: a Bradley–Terry reward model on the GPT trunk, trained on the language world's D with a
 * slice held out. Its held-out pairwise accuracy is printed and must clear the stated bound; a run uses it as
 * Algorithm 1's ranker and records its report.
 */
import { describe, expect, test } from 'vitest';
import { defaultsFor, parseExperimentConfig } from '../../src/lab/config.js';
import { trainLearnedJudge } from '../../src/lab/learned-judge.js';
import { runExperiment } from '../../src/lab/runner.js';
import { MemoryStorage, readText } from '../../src/lab/storage.js';
import { makeLanguageWorld, DEFAULT_LANGUAGE } from '../../src/lab/worlds/language.js';

describe('learned judge', () => {
  // Labels drawn at Bradley–Terry temperature 0.1 (the default world's 0.5 makes them so noisy that r* itself
  // agrees with only 63% of the held-out labels; there the default judge, 100 steps at lr 1e-3, measured 0.674).
  test('held-out pairwise accuracy on the language world (labels at temperature 0.1) clears 0.8', () => {
    const config = defaultsFor('language');
    config.ranker = { kind: 'learned', steps: 200, batchSize: 32, lr: 3e-3, heldOutFraction: 0.2 };
    const world = makeLanguageWorld({ ...DEFAULT_LANGUAGE, labelTemperature: 0.1 }, 0);
    const { report, ranker } = trainLearnedJudge(config, world, 0, true);
    console.log(`learned judge (language world, seed 0): ${JSON.stringify(report)}`);
    expect(report.heldOutPairs).toBeGreaterThan(80);
    expect(report.heldOutAccuracy).toBeGreaterThan(0.8);
    expect(report.trueRewardAgreement!).toBeGreaterThan(0.8);
    expect(report.labelCeiling!).toBeLessThan(1);
    // Ranks by its own score, best first.
    const x = world.testPrompts[0]!;
    const ys = [world.demoResponse(x), world.bestResponse(x), [2]];
    const order = ranker.rank(x, ys);
    expect(ranker.score(x, ys[order[0]!]!)).toBeGreaterThanOrEqual(ranker.score(x, ys[order[2]!]!));
  }, 60_000);

  test('a run with the learned judge ranks with it and writes its report', async () => {
    const c = parseExperimentConfig({
      name: 'learned',
      world: { kind: 'language', pairsPerPrompt: 2 },
      seeds: [0],
      alphaSweep: [],
      sft: { steps: 2 },
      algorithm: { iterations: 1, epochs: 1 },
      eval: { samples: 1 },
      ranker: { kind: 'learned', steps: 5 },
    });
    const storage = new MemoryStorage();
    await runExperiment(c, { storage });
    const report = JSON.parse(readText(storage, 'judge/seed0.json')) as Record<string, number>;
    expect(report.trainPairs).toBeGreaterThan(0);
    expect(report.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    expect(storage.exists('data/seed0/selm/iter1.jsonl')).toBe(true);
  });

  test('config errors name the field', () => {
    expect(() => parseExperimentConfig({ world: { kind: 'language' }, ranker: { kind: 'learned', steps: 0, temperature: 1 } })).toThrow(
      /ranker\.temperature: unknown field[\s\S]*ranker\.steps: must be an integer >= 1/,
    );
    expect(() => parseExperimentConfig({ world: { kind: 'bandit' }, ranker: { kind: 'learned' } })).toThrow(
      /a learned judge needs token sequences/,
    );
  });
});
