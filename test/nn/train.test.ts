/**
 * Training: trainStep's contract, determinism (same seed, same weights bit for bit), a smoke test that a tiny
 * GPT can overfit a small dataset, and the reference configurations.
 */
import { describe, expect, test } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import {
  AdamW,
  GPT,
  SGD,
  languageModelLoss,
  makeReferenceConfig,
  nextTokenBatch,
  syntheticBatch,
  trainStep,
  type TrainBatch,
} from '../../src/nn/index.js';
import { tinyGPT } from './helpers.js';

function train(seed: number, steps: number, batch: TrainBatch): GPT {
  const model = new GPT({ vocabSize: 11, contextLength: 8, width: 16, heads: 2, layers: 1, dropout: 0.1 }, new Generator(seed));
  const opt = new AdamW(model.parameters(), { lr: 1e-2 });
  for (let i = 0; i < steps; i++) trainStep(model, opt, batch);
  return model;
}

describe('trainStep', () => {
  const gen = new Generator(1);
  const rows = Array.from({ length: 4 }, () => Array.from({ length: 9 }, () => gen.int(11)));
  const batch = nextTokenBatch(rows);

  test('returns the loss before the step and the gradient norm; leaves no gradients behind', () => {
    const model = tinyGPT(2, { contextLength: 8 });
    const expected = languageModelLoss(model.forward(batch.inputs), batch.targets).item();
    const result = trainStep(model, new SGD(model.parameters(), { lr: 0.1 }), batch);
    expect(result.loss).toBe(expected);
    expect(result.gradNorm).toBeGreaterThan(0);
    expect(result.skipped).toBe(false);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    expect(languageModelLoss(model.forward(batch.inputs), batch.targets).item()).toBeLessThan(expected);
  });

  test('determinism: the same seed gives bit-identical weights after N steps (with dropout)', () => {
    const a = train(7, 5, batch).parameters();
    const b = train(7, 5, batch).parameters();
    expect(a.every((p, i) => p.data.every((v, j) => Object.is(v, b[i]!.data[j])))).toBe(true);
    const c = train(8, 5, batch).parameters();
    expect(a[0]!.data.some((v, j) => v !== c[0]!.data[j])).toBe(true);
  });

  test('a non-finite gradient skips the update', () => {
    const model = tinyGPT(3, { contextLength: 8 });
    model.lnF.weight.data[0] = Number.NaN;
    const before = model.parameters().map((p) => Float64Array.from(p.data));
    const result = trainStep(model, new SGD(model.parameters(), { lr: 0.1 }), batch);
    expect(result.skipped).toBe(true);
    expect(model.parameters().every((p, i) => p.data.every((v, j) => Object.is(v, before[i]![j])))).toBe(true);
  });

  test('smoke: a tiny GPT overfits four sequences to near-zero loss', () => {
    const model = new GPT({ vocabSize: 11, contextLength: 8, width: 32, heads: 2, layers: 1 }, new Generator(4));
    const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    let loss = Infinity;
    for (let i = 0; i < 150 && loss > 0.05; i++) loss = trainStep(model, opt, batch).loss;
    expect(loss).toBeLessThan(0.05);
  });
});

describe('reference configurations', () => {
  test("tiny-gpt and small-gpt have the issue's shapes, and one float32 step runs", () => {
    const tiny = makeReferenceConfig('tiny-gpt');
    expect(tiny.model).toMatchObject({ vocabSize: 64, contextLength: 32, width: 64, heads: 4, layers: 2, mlpWidth: 256 });
    expect([tiny.batchSize, tiny.optimizer.lr]).toEqual([16, 1e-3]);
    const small = makeReferenceConfig('small-gpt');
    expect(small.model).toMatchObject({ vocabSize: 256, contextLength: 64, width: 128, heads: 4, layers: 4, mlpWidth: 512 });
    expect(small.batchSize).toBe(8);
    const gen = new Generator(0);
    const model = new GPT(tiny.model, gen);
    expect(model.dtype).toBe('float32');
    const result = trainStep(model, new AdamW(model.parameters(), tiny.optimizer), syntheticBatch(tiny, gen));
    expect(result.loss).toBeCloseTo(Math.log(64), 0);
  });
});
