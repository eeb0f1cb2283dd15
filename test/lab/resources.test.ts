/**
 * The resource estimate (src/lab/resources.ts) against what the config really builds: the parameter count is
 * the GPT's (or the bandit table's) exactly, the samples are the responses the world and the evaluation hold,
 * and the activation estimate bounds the float64 values one training batch's graph keeps for backward.
 */
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src/lab/config.js';
import { estimateResources, resourceProblems } from '../../src/lab/resources.js';
import { buildWorld, initialPolicy } from '../../src/lab/runner.js';

const parameterCount = (config: ReturnType<typeof parseExperimentConfig>): number =>
  initialPolicy(config, buildWorld(config, 0), 0)
    .parameters()
    .reduce((n, p) => n + p.size, 0);

describe('estimateResources', () => {
  it.each([
    { width: 16, layers: 1, heads: 2, mlpRatio: 4 },
    { width: 24, layers: 3, heads: 3, mlpRatio: 2.5 },
    { width: 8, layers: 2, heads: 1, mlpRatio: 1 },
  ])('counts a language world GPT’s parameters exactly: %o', (model) => {
    for (const letters of [4, 6]) {
      const config = parseExperimentConfig({ world: { kind: 'language', letters }, model });
      expect(estimateResources(config).parameters).toBe(parameterCount(config));
    }
  });

  it('counts the bandit table’s logits exactly', () => {
    const config = parseExperimentConfig({ world: { kind: 'bandit', tasks: 3, responses: 7 } });
    expect(estimateResources(config).parameters).toBe(parameterCount(config));
  });

  /** Configs sized so that one part of a training batch dominates; limits raised so that they parse. */
  const sized = (world: object, model: object, extra: object = {}) =>
    parseExperimentConfig({
      world,
      model,
      preferences: 'p.jsonl',
      limits: { parameters: 1e12, activationBytes: 1e15, samples: 1e12 },
      ...extra,
    });
  const batchOf = (c: ReturnType<typeof parseExperimentConfig>): number => Math.max(c.sft.batchSize, 4 * c.algorithm.batchSize);
  const BYTES = 8;

  it('activation memory holds at least the logits of a batch (batch × context × vocabulary float64 values)', () => {
    const c = sized({ kind: 'text', tokenizer: 'byte', vocabSize: 65536, contextLength: 32 }, { width: 8, layers: 1, heads: 1 });
    const w = c.world as { vocabSize: number; contextLength: number };
    expect(estimateResources(c).activationBytes).toBeGreaterThanOrEqual(batchOf(c) * w.contextLength * w.vocabSize * BYTES);
  });

  it('activation memory holds at least the attention scores and probabilities (2 × heads × T² per layer and row)', () => {
    const c = sized({ kind: 'text', tokenizer: 'byte', vocabSize: 260, contextLength: 2048 }, { width: 8, layers: 2, heads: 4 });
    const T = (c.world as { contextLength: number }).contextLength;
    expect(estimateResources(c).activationBytes).toBeGreaterThanOrEqual(batchOf(c) * c.model.layers * 2 * c.model.heads * T * T * BYTES);
  });

  it('activation memory holds at least the MLP’s hidden activations before and after GELU (2 × hidden per token and layer)', () => {
    const c = sized({ kind: 'language' }, { width: 8, layers: 3, heads: 1, mlpRatio: 64 });
    const T = 4 + (c.world as { maxLength: number }).maxLength + 1;
    const hidden = Math.round(c.model.mlpRatio * c.model.width);
    expect(estimateResources(c).activationBytes).toBeGreaterThanOrEqual(batchOf(c) * T * c.model.layers * 2 * hidden * BYTES);
  });

  it('activation memory holds at least q, k, v and the attention output of every token and layer (4 × width)', () => {
    const c = sized({ kind: 'language' }, { width: 512, layers: 2, heads: 1, mlpRatio: 0.25 });
    const T = 4 + (c.world as { maxLength: number }).maxLength + 1;
    expect(estimateResources(c).activationBytes).toBeGreaterThanOrEqual(batchOf(c) * T * c.model.layers * 4 * c.model.width * BYTES);
  });

  it('activation memory grows linearly with the batch: doubling both batch sizes doubles it', () => {
    for (const world of [{ kind: 'language' }, { kind: 'text', tokenizer: 'byte' }]) {
      const one = sized(world, {}, { algorithm: { batchSize: 4 }, sft: { batchSize: 8 } });
      const two = sized(world, {}, { algorithm: { batchSize: 8 }, sft: { batchSize: 16 } });
      expect(estimateResources(two).activationBytes).toBe(2 * estimateResources(one).activationBytes);
    }
    const bandit = (batchSize: number) => parseExperimentConfig({ world: { kind: 'bandit' }, algorithm: { batchSize } });
    expect(estimateResources(bandit(8)).activationBytes).toBe(2 * estimateResources(bandit(4)).activationBytes);
  });

  it('a bandit batch keeps at least the log-softmax over K responses for chosen, rejected and the reference', () => {
    const c = parseExperimentConfig({ world: { kind: 'bandit', responses: 40 } });
    const w = c.world as { responses: number };
    expect(estimateResources(c).activationBytes).toBeGreaterThanOrEqual(3 * c.algorithm.batchSize * w.responses * BYTES);
  });

  it('samples cover what the bandit world holds: π(·|x) over every response for each of its prompts, and its pairs', () => {
    for (const world of [{ kind: 'bandit' }, { kind: 'bandit', tasks: 3, responses: 50, trainPromptsPerTask: 5, testPromptsPerTask: 2 }]) {
      const c = parseExperimentConfig({ world });
      const w = buildWorld(c, 0) as unknown as { trainPrompts: unknown[]; testPrompts: unknown[]; preferences: unknown[] };
      const K = (c.world as { responses: number }).responses;
      const e = estimateResources(c);
      expect(e.samples).toBeGreaterThanOrEqual((w.trainPrompts.length + w.testPrompts.length) * K);
      expect(e.samples).toBeGreaterThanOrEqual(w.preferences.length);
    }
  });

  it('samples cover the language world’s evaluation draws (eval.samples per held-out prompt) and its pairs and demonstrations', () => {
    for (const extra of [{}, { eval: { samples: 500 } }]) {
      const c = parseExperimentConfig({ world: { kind: 'language' }, ...extra });
      const w = buildWorld(c, 0) as unknown as { testPrompts: unknown[]; preferences: unknown[]; demonstrations: unknown[] };
      const e = estimateResources(c);
      expect(e.samples).toBeGreaterThanOrEqual(w.testPrompts.length * c.eval.samples);
      expect(e.samples).toBeGreaterThanOrEqual(w.preferences.length + w.demonstrations.length);
    }
  });

  it('a config exactly at a limit fits; one unit under the estimate is over the limit and named', () => {
    for (const world of [{ kind: 'language' }, { kind: 'bandit' }]) {
      const c = parseExperimentConfig({ world });
      const e = estimateResources(c);
      expect(resourceProblems(c, e)).toEqual([]);
      for (const key of ['parameters', 'activationBytes', 'samples'] as const) {
        const problems = resourceProblems(c, { ...e, [key]: e[key] - 1 });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(new RegExp(`^limits\\.${key}: `));
      }
    }
  });
});
