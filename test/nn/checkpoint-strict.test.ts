/**
 * Checkpoints are refused when they would load something wrong without a word: non-finite weights (on save and
 * on load), and training states with a prototype-named buffer, a missing optimiser buffer, or a step count that
 * is NaN, negative or fractional. Every error from a file names the file; nothing is loaded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Generator, tensor, type Tensor } from '../../src/autograd/index.js';
import {
  AdamW,
  CheckpointError,
  SGD,
  decodeSafetensors,
  encodeModel,
  encodeSafetensors,
  loadModelBytes,
  trainStep,
} from '../../src/nn/index.js';
import { loadModel, loadTrainingCheckpoint, saveModel, saveTrainingCheckpoint } from '../../src/nn/node/checkpoint-file.js';
import { randomIds, sameAsSnapshot, snapshot, tinyGPT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selm-nn-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A trained model and its AdamW state in a file, then the file's tensors and metadata for editing. */
function trainedCheckpoint(): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const gen = new Generator(1);
  const model = tinyGPT(2);
  const opt = new AdamW(model.parameters(), { lr: 0.01 });
  const rows = randomIds(gen, 2, 5, 11);
  trainStep(model, opt, { inputs: rows.map((r) => r.slice(0, 4)), targets: rows.map((r) => r.slice(1)) });
  const path = join(dir, 'train.safetensors');
  saveTrainingCheckpoint(path, model, opt);
  const { tensors, metadata } = decodeSafetensors(readFileSync(path));
  return { tensors: new Map(tensors), metadata };
}

/** Writes the edited training checkpoint and loads it into a fresh model and optimiser; returns the error. */
function loadEdited(tensors: Map<string, Tensor>, metadata: Record<string, string>, name: string): Error {
  const path = join(dir, `${name}.safetensors`);
  writeFileSync(path, encodeSafetensors([...tensors], metadata));
  const model = tinyGPT(7);
  const before = snapshot(model.parameters());
  const opt = new AdamW(model.parameters(), { lr: 0.5 });
  let error: unknown = null;
  try {
    loadTrainingCheckpoint(path, model, opt);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
  expect(sameAsSnapshot(model.parameters(), before)).toBe(true);
  expect(opt.lr).toBe(0.5);
  return error as Error;
}

describe('training-state loads are strict', () => {
  test('a buffer named __proto__ (or constructor) is an unexpected buffer, not a silent no-op', () => {
    for (const key of ['__proto__', 'constructor', '__proto__.0']) {
      const { tensors, metadata } = trainedCheckpoint();
      tensors.set(`optimizer.${key}`, tensor([1]));
      expect(loadEdited(tensors, metadata, 'proto').message).toContain(`unexpected buffer '${key}'`);
    }
  });

  test('every optimiser buffer of a stepped parameter must be there', () => {
    const { tensors, metadata } = trainedCheckpoint();
    tensors.delete('optimizer.exp_avg_sq.0');
    expect(loadEdited(tensors, metadata, 'missing').message).toMatch(/buffer 'exp_avg_sq\.0' is missing/);
  });

  for (const [what, value, pattern] of [
    ['NaN', Number.NaN, /'step\.0' holds NaN/],
    ['negative', -1, /step count must be an integer >= 0, got -1/],
    ['fractional', 1.5, /step count must be an integer >= 0, got 1\.5/],
  ] as const) {
    test(`a ${what} step count is refused`, () => {
      const { tensors, metadata } = trainedCheckpoint();
      const step = tensors.get('optimizer.step.0')!;
      tensors.set('optimizer.step.0', tensor([value], { dtype: step.dtype, shape: [1] }));
      expect(loadEdited(tensors, metadata, `step-${what}`).message).toMatch(pattern);
    });
  }

  test("a negative learning rate in the optimiser's scalars is refused", () => {
    const { tensors, metadata } = trainedCheckpoint();
    const scalars = JSON.parse(metadata['selm-ts.optimizer']!) as { type: string; lr: number };
    const edited = { ...metadata, 'selm-ts.optimizer': JSON.stringify({ ...scalars, lr: -1 }) };
    expect(loadEdited(tensors, edited, 'lr').message).toContain('lr -1 is not a finite number >= 0');
  });

  test('SGD without momentum keeps no buffer (nothing to save or to require)', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const sgd = new SGD([p], { lr: 0.1 });
    p.grad = tensor([1, 1]);
    sgd.step();
    expect(Object.keys(sgd.getState().buffers)).toEqual([]);
  });

  test('a non-finite weight or moment in a training state is refused', () => {
    const { tensors, metadata } = trainedCheckpoint();
    const w = tensors.get('optimizer.exp_avg.1')!;
    const data: number[] = Array.from(w.data);
    data[0] = Number.POSITIVE_INFINITY;
    tensors.set('optimizer.exp_avg.1', tensor(data, { dtype: w.dtype, shape: [...w.shape] }));
    expect(loadEdited(tensors, metadata, 'inf').message).toMatch(/'exp_avg\.1' holds Infinity at index 0/);
  });
});

describe('non-finite weights', () => {
  test('are refused on save (naming the file and the tensor) unless allowed', () => {
    const model = tinyGPT(3);
    model.parameters()[2]!.data[5] = Number.NaN;
    const path = join(dir, 'nan.safetensors');
    expect(() => saveModel(path, model)).toThrow(
      new RegExp(`^${path.replace(/[.]/g, '\\.')}: checkpoint: not saved: the weights are not finite:\\n.*holds NaN at index 5`),
    );
    expect(() => encodeModel(model, {}, { allowNonFinite: true })).not.toThrow();
  });

  test('are refused on load (naming the file and the tensor) unless allowed', () => {
    const model = tinyGPT(3);
    model.parameters()[0]!.data[1] = Number.NEGATIVE_INFINITY;
    const bytes = encodeModel(model, {}, { allowNonFinite: true });
    const path = join(dir, 'inf.safetensors');
    writeFileSync(path, bytes);
    const target = tinyGPT(4);
    const before = snapshot(target.parameters());
    expect(() => loadModel(path, target)).toThrow(
      /inf\.safetensors: checkpoint: does not match \(nothing was loaded\):\n.*holds -Infinity at index 1/,
    );
    expect(sameAsSnapshot(target.parameters(), before)).toBe(true);
    loadModelBytes(target, bytes, { allowNonFinite: true });
    expect(target.parameters()[0]!.data[1]).toBe(Number.NEGATIVE_INFINITY);
  });
});
