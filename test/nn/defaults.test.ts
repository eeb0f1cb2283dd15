/**
 * Public defaults, pinned by value: a change to one is a change users see, so it must fail a test, not
 * loosen one. (softmaxFused's default axis is autograd's and pinned there.)
 */
import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '../../src/autograd/index.js';
import { AdamW, GPT, SGD, warmupDecay, weightDecayGroups } from '../../src/nn/index.js';
import { DEFAULT_ALGORITHM, validateAlgorithmConfig } from '../../src/selm/algorithm.js';
import { packBatch } from '../../src/selm/logprob.js';

describe('nn defaults', () => {
  it("the GPT's MLP is 4 × width when mlpRatio is left out (documented as 4)", () => {
    const gpt = new GPT({ vocabSize: 7, contextLength: 5, width: 8, heads: 2, layers: 1 }, new Generator(0));
    expect(gpt.config.mlpWidth).toBe(32);
  });

  it('AdamW: lr 1e-3 and weight decay 0.01; SGD: weight decay 0', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const adam = new AdamW([p]);
    expect(adam.lr).toBe(1e-3);
    expect(adam.groups.map((g) => g.weightDecay)).toEqual([0.01]);
    expect(new SGD([p], { lr: 0.1 }).groups.map((g) => g.weightDecay)).toEqual([0]);
  });

  it('weightDecayGroups: matrices get the given decay, vectors 0, by value (not only membership)', () => {
    const gpt = new GPT({ vocabSize: 7, contextLength: 5, width: 8, heads: 2, layers: 1 }, new Generator(0));
    const groups = weightDecayGroups(gpt, 0.3);
    expect(groups.map((g) => g.weightDecay)).toEqual([0.3, 0]);
    const opt = new AdamW(groups, { weightDecay: 0.9 });
    // A group's own decay wins over the optimiser's.
    expect(opt.groups.map((g) => g.weightDecay)).toEqual([0.3, 0]);
  });

  it('warmupRatio is accepted up to 1 and refused just above, as its message says', () => {
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 10, warmupRatio: 1 })).not.toThrow();
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 10, warmupRatio: 1.0001 })).toThrow('warmupRatio must be in [0, 1], got 1.0001');
    expect(() => warmupDecay({ peakLr: 1, totalSteps: 10, warmupRatio: 2 })).toThrow('warmupRatio must be in [0, 1]');
    expect(validateAlgorithmConfig({ ...DEFAULT_ALGORITHM, warmupRatio: 1 })).toEqual([]);
    expect(validateAlgorithmConfig({ ...DEFAULT_ALGORITHM, warmupRatio: 1.5 })).toEqual(['warmupRatio: must be in [0, 1], got 1.5']);
  });
});

describe('selm defaults', () => {
  it('packBatch: float64 ids and mask, padding id 0, by default', () => {
    const { ids, responseMask } = packBatch([
      { prompt: [5], response: [6, 7] },
      { prompt: [5], response: [] },
    ]);
    expect(ids.dtype).toBe('float64');
    expect(responseMask.dtype).toBe('float64');
    expect(Array.from(ids.data)).toEqual([5, 6, 7, 5, 0, 0]);
    expect(Array.from(responseMask.data)).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it('every numeric field of the algorithm config refuses NaN and ±Infinity (as a number, not only as a non-number)', () => {
    for (const field of [
      'alpha',
      'beta',
      'iterations',
      'epochs',
      'batchSize',
      'warmupRatio',
      'gradClip',
      'weightDecay',
      'learningRates',
    ] as const) {
      for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const problems = validateAlgorithmConfig({ ...DEFAULT_ALGORITHM, [field]: v });
        expect(
          problems.some((p) => p.startsWith(field)),
          `${field} = ${v}`,
        ).toBe(true);
      }
    }
  });

  it("Algorithm 1's defaults", () => {
    expect(DEFAULT_ALGORITHM).toEqual({
      alpha: 0.01,
      beta: 0.1,
      iterations: 3,
      yRef: 'sample',
      updateRule: 'best-worst',
      zephyr: false,
      optimismForm: 'authors',
      lossType: 'sigmoid',
      epochs: 2,
      batchSize: 16,
      learningRates: 0.01,
      warmupRatio: 0.1,
      decay: 'cosine',
      gradClip: 1,
      weightDecay: 0,
      optimizer: 'adamw',
      ipoLogProbs: 'average',
      loggingSteps: 1,
    });
  });
});
