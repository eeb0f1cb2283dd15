/**
 * Degenerate sizes through nn: a batch of one sequence (as a tensor or as nested arrays), sequences of one
 * token, and the refusal of too-short sequences for next-token batches. Each result equals the same row
 * computed inside a larger batch, or a value worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { logSoftmax, noGrad, tensor } from '../../src/autograd/index.js';
import { languageModelLoss, nextTokenBatch } from '../../src/nn/index.js';
import { tinyGPT } from './helpers.js';

describe('batch size 1 and T = 1', () => {
  it('a GPT forward of one sequence equals that row of a two-sequence batch (T = 1 and T = 4)', () => {
    const gpt = tinyGPT(5);
    for (const rows of [
      [[3], [7]],
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    ]) {
      const both = noGrad(() => gpt.forward(rows));
      const one = noGrad(() => gpt.forward([rows[1]!]));
      const [, T, V] = both.shape as [number, number, number];
      expect(one.shape).toEqual([1, T, V]);
      // Equal up to the order of float additions (kernels may block a batch differently).
      const row = Array.from(both.data.slice(T * V));
      Array.from(one.data).forEach((v, i) => expect(v).toBeCloseTo(row[i]!, 12));
    }
  });

  it('the language-model loss of a single sequence: nested arrays, a tensor, and −log softmax by hand agree (T = 1)', () => {
    const logits = tensor([[[0.5, -1, 2]]], { dtype: 'float64' });
    const byHand = -noGrad(() => logSoftmax(logits, -1)).data[2]!;
    expect(languageModelLoss(logits, [[2]]).item()).toBeCloseTo(byHand, 15);
    expect(languageModelLoss(logits, tensor([[2]], { dtype: 'float64' })).item()).toBeCloseTo(byHand, 15);
  });

  it('the loss of one sequence given as nested arrays equals its loss inside a batch of one tensor row', () => {
    const gpt = tinyGPT(2);
    const ids = [[1, 4, 2, 9]];
    const logits = gpt.forward(ids.map((r) => r.slice(0, 3)));
    const nested = languageModelLoss(
      logits,
      ids.map((r) => r.slice(1)),
    ).item();
    const asTensor = languageModelLoss(logits, tensor([ids[0]!.slice(1)], { dtype: 'float64' })).item();
    expect(nested).toBe(asTensor);
  });

  it('next-token batches need at least two tokens per sequence, and say so', () => {
    expect(() => nextTokenBatch([[3]])).toThrow('nextTokenBatch: sequences need at least 2 tokens, got 1');
    const b = nextTokenBatch([[3, 4]]);
    expect(b.inputs.length).toBe(1);
  });
});
