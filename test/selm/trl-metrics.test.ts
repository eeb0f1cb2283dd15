/** Metrics as TRL logs them: names, the logging window's averages, logits/chosen, and IPO on per-token averages. */
import { describe, expect, test } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { defaultsFor } from '../../src/lab/config.js';
import { initialPolicy } from '../../src/lab/runner.js';
import { makeLanguageWorld, DEFAULT_LANGUAGE } from '../../src/lab/worlds/language.js';
import { trainIteration, type StepRecord } from '../../src/selm/algorithm.js';
import { MetricsWindow } from '../../src/selm/metrics.js';

const world = makeLanguageWorld(DEFAULT_LANGUAGE, 0);
const config = defaultsFor('language');
const data = world.preferences.slice(0, 40).map((p) => ({ ...p, yRef: null }));

function run(overrides: Partial<typeof config.algorithm>): { steps: StepRecord[]; logs: StepRecord[] } {
  const policy = initialPolicy(config, world, 0);
  const steps: StepRecord[] = [];
  const logs: StepRecord[] = [];
  trainIteration(policy, policy.clone(), data, { ...config.algorithm, epochs: 2, batchSize: 8, ...overrides }, new Generator(1), {
    iteration: 1,
    alpha: 0,
    peakLr: 1e-3,
    onStep: (r) => steps.push(r),
    onLog: (r) => logs.push(r),
  });
  return { steps, logs };
}

describe('TRL metrics', () => {
  test('learning_rate, epoch and logits/chosen|rejected per step; windows average them', () => {
    const { steps, logs } = run({ loggingSteps: 4 });
    expect(steps).toHaveLength(10);
    expect(steps[0]).toHaveProperty('learning_rate');
    expect(steps[0]).not.toHaveProperty('lr');
    expect(steps.map((s) => s.epoch)).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2]);
    expect(Number.isFinite(steps[0]!['logits/chosen'])).toBe(true);
    expect(logs.map((l) => l.step)).toEqual([3, 7, 9]);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(logs[0]!.loss).toBeCloseTo(mean(steps.slice(0, 4).map((s) => s.loss)), 12);
    expect(logs[2]!['logits/rejected']).toBeCloseTo(mean(steps.slice(8).map((s) => s['logits/rejected']!)), 12);
  });

  test('logits/chosen and logits/rejected are the mean logits of the chosen and of the rejected rows, each over its own rows', () => {
    // One batch of every triple: the first step sees πθ = the initial policy, whatever the batch order.
    const policy = initialPolicy(config, world, 0);
    const reference = policy.clone();
    const expected = (responses: 'chosen' | 'rejected'): number => {
      reference.logProbs(
        data.map((d) => d.prompt),
        data.map((d) => d[responses]),
      );
      const rows = reference.lastMeanLogits!;
      return rows.reduce((a, b) => a + b, 0) / rows.length;
    };
    const steps: StepRecord[] = [];
    trainIteration(policy, policy.clone(), data, { ...config.algorithm, epochs: 1, batchSize: data.length }, new Generator(1), {
      iteration: 1,
      alpha: 0,
      peakLr: 1e-3,
      onStep: (r) => steps.push(r),
    });
    expect(steps[0]!['logits/chosen']).toBeCloseTo(expected('chosen'), 10);
    expect(steps[0]!['logits/rejected']).toBeCloseTo(expected('rejected'), 10);
    expect(expected('chosen')).not.toBeCloseTo(expected('rejected'), 6);
  });

  test("IPO sees per-token averaged log-probs (TRL); 'sum' keeps the summed form", () => {
    const averaged = run({ lossType: 'ipo', ipoLogProbs: 'average' }).steps[0]!;
    const summed = run({ lossType: 'ipo', ipoLogProbs: 'sum' }).steps[0]!;
    // At the first step πθ = π_ref, so h = 0 and the IPO loss is (1/(2β))² either way; the logged log-probs differ.
    expect(averaged.loss).toBeCloseTo(summed.loss, 6);
    const tokens = data.map((d) => d.chosen.length);
    expect(Math.abs(averaged['logps/chosen'])).toBeLessThan(Math.abs(summed['logps/chosen']));
    expect(Math.max(...tokens)).toBeGreaterThan(1);
  });

  test('MetricsWindow averages numeric fields and keeps the last step', () => {
    const w = new MetricsWindow<{ step: number; iteration: number; loss: number; tag?: number }>();
    w.add({ step: 0, iteration: 1, loss: 1, tag: 4 });
    w.add({ step: 1, iteration: 1, loss: 3 });
    expect(w.flush()).toEqual({ step: 1, iteration: 1, loss: 2 });
    expect(w.size).toBe(0);
  });
});
