/**
 * Generation: the KV cache changes nothing (same tokens, log-probs equal to 1e-12 in float64, against
 * recomputing the whole sequence each step); log-probs are the model's own log-softmax; batching and padding
 * change nothing; EOS and the length cap stop rows; top-k / top-p keep the right tokens.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Generator, logSoftmax } from '../../src/autograd/index.js';
import { generate, samplingLogits, type GenerateOptions } from '../../src/nn/index.js';
import { maxAbsDiff, tinyGPT } from './helpers.js';

const model = tinyGPT(31, { contextLength: 12, layers: 2 });

const promptsArb = fc.array(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });
const strategyArb = fc.oneof(
  fc.constant<Partial<GenerateOptions>>({ greedy: true }),
  fc.record({
    temperature: fc.constantFrom(0.5, 1, 2),
    topK: fc.constantFrom(undefined, 1, 3),
    topP: fc.constantFrom(undefined, 0.5, 0.9),
  }),
);

function run(prompts: number[][], strategy: Partial<GenerateOptions>, seed: number, useCache: boolean) {
  return generate(model, prompts, { maxNewTokens: 6, eosId: 2, ...strategy, generator: new Generator(seed), useCache });
}

describe('generate', () => {
  test('KV cache gives the same tokens and log-probs (1e-12) as recomputing the full sequence', () => {
    fc.assert(
      fc.property(promptsArb, strategyArb, fc.integer({ min: 0, max: 1000 }), (prompts, strategy, seed) => {
        const cached = run(prompts, strategy, seed, true);
        const full = run(prompts, strategy, seed, false);
        expect(cached.tokens).toEqual(full.tokens);
        expect(cached.finished).toEqual(full.finished);
        cached.logProbs.forEach((row, b) => expect(maxAbsDiff(row, full.logProbs[b]!)).toBeLessThan(1e-12));
        cached.samplingLogProbs.forEach((row, b) => expect(maxAbsDiff(row, full.samplingLogProbs[b]!)).toBeLessThan(1e-12));
      }),
    );
  });

  test('log-probs are the log-softmax of the unmodified logits of the whole sequence', () => {
    fc.assert(
      fc.property(promptsArb, strategyArb, fc.integer({ min: 0, max: 1000 }), (prompts, strategy, seed) => {
        const out = run(prompts, strategy, seed, true);
        prompts.forEach((prompt, b) => {
          const seq = [...prompt, ...out.tokens[b]!];
          const logp = logSoftmax(model.forward([seq]), -1);
          const V = 11;
          out.tokens[b]!.forEach((tok, i) => {
            const pos = prompt.length - 1 + i;
            expect(Math.abs(logp.data[pos * V + tok]! - out.logProbs[b]![i]!)).toBeLessThan(1e-12);
          });
        });
      }),
    );
  });

  test('a row generated in a padded batch equals the row generated alone (greedy)', () => {
    fc.assert(
      fc.property(promptsArb, (prompts) => {
        const batched = run(prompts, { greedy: true }, 0, true);
        prompts.forEach((p, b) => {
          const alone = run([p], { greedy: true }, 0, true);
          expect(batched.tokens[b]).toEqual(alone.tokens[0]);
          expect(maxAbsDiff(batched.logProbs[b]!, alone.logProbs[0]!)).toBeLessThan(1e-12);
        });
      }),
    );
  });

  test('the same seed gives the same samples', () => {
    const a = run([[1, 2], [3]], { temperature: 1.5 }, 42, true);
    const b = run([[1, 2], [3]], { temperature: 1.5 }, 42, true);
    expect(a).toEqual(b);
  });

  test('EOS stops a row (and is kept); otherwise the length cap does', () => {
    const first = generate(model, [[1, 2, 3]], { maxNewTokens: 5, greedy: true });
    expect(first.tokens[0]).toHaveLength(5);
    expect(first.finished).toEqual([false]);
    const eos = first.tokens[0]![1]!;
    const stopped = generate(model, [[1, 2, 3]], { maxNewTokens: 5, greedy: true, eosId: eos });
    const at = first.tokens[0]!.indexOf(eos);
    expect(stopped.tokens[0]).toEqual(first.tokens[0]!.slice(0, at + 1));
    expect(stopped.finished).toEqual([true]);
  });

  test('greedy has sampling log-prob 0; the model is left in the mode it was in', () => {
    model.train();
    const out = generate(model, [[4]], { maxNewTokens: 3, greedy: true });
    expect(out.samplingLogProbs[0]).toEqual([0, 0, 0]);
    expect(model.training).toBe(true);
  });

  test('clear errors', () => {
    expect(() => generate(model, [[1, 2, 3]], { maxNewTokens: 10, greedy: true })).toThrow(/exceeds contextLength 12/);
    expect(() => generate(model, [[1]], { maxNewTokens: 2 })).toThrow(/needs an explicit generator/);
    expect(() => generate(model, [[]], { maxNewTokens: 2, greedy: true })).toThrow(/at least one token/);
  });
});

describe('samplingLogits', () => {
  const logits = [2, 1, 0, -1, 3];

  test('temperature divides the logits', () => {
    expect(Array.from(samplingLogits(logits, { temperature: 2 }))).toEqual([1, 0.5, 0, -0.5, 1.5]);
  });

  test('top-k keeps the k largest (ties with the k-th kept)', () => {
    expect(Array.from(samplingLogits(logits, { topK: 2 }))).toEqual([2, -Infinity, -Infinity, -Infinity, 3]);
    expect(Array.from(samplingLogits([1, 1, 0], { topK: 1 }))).toEqual([1, 1, -Infinity]);
  });

  test('top-p keeps the smallest most-likely set reaching p', () => {
    const z = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    const keep = (p: number) => Array.from(samplingLogits(z, { topP: p })).map((v) => v > -Infinity);
    expect(keep(0.5)).toEqual([true, false, false, false]);
    expect(keep(0.6)).toEqual([true, true, false, false]);
    expect(keep(0.9)).toEqual([true, true, true, false]);
    expect(keep(1)).toEqual([true, true, true, true]);
  });

  test('samples come only from the kept set, with the sampling log-prob of the renormalised distribution', () => {
    const out = generate(model, [[1], [2]], { maxNewTokens: 8, topK: 2, generator: new Generator(5) });
    out.samplingLogProbs.flat().forEach((lp) => expect(lp).toBeLessThanOrEqual(0));
    // With top-k 1 sampling is greedy: probability 1.
    const one = generate(model, [[1]], { maxNewTokens: 4, topK: 1, generator: new Generator(5) });
    expect(one.samplingLogProbs[0]).toEqual([0, 0, 0, 0]);
    expect(one.tokens).toEqual(generate(model, [[1]], { maxNewTokens: 4, greedy: true }).tokens);
  });
});
