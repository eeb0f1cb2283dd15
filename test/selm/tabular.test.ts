import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheckReport, noGrad, sum, type Tensor } from '../../src/autograd/index.js';
import {
  enumerateResponses,
  expectation,
  frozen,
  klDivergence,
  modelLogProbTable,
  sampleResponses,
  tableEntries,
  tabularLogProbs,
} from '../../src/selm/index.js';
import { TINY_GPT_PROMPTS, TINY_GPT_RESPONSES, gptPolicy, tinyGpt } from '../../src/selm/gradcheck-suite.js';
import { randomLogits, seedArb } from './fixtures.js';

describe('finite response spaces', () => {
  it('enumerateResponses lists all V^L sequences once, in lexicographic order', () => {
    const all = enumerateResponses(3, 2);
    expect(all).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
    expect(enumerateResponses(2, 4)).toHaveLength(16);
    expect(new Set(enumerateResponses(2, 4).map((s) => s.join())).size).toBe(16);
    expect(enumerateResponses(5, 0)).toEqual([[]]);
  });

  it('a tiny GPT over every response of length L is an exact distribution per prompt (rows sum to 1)', () => {
    const model = tinyGpt(new Generator(4));
    for (const p of model.parameters()) if (p.ndim > 1) p.data.forEach((v, i) => (p.data[i] = 30 * v));
    const table = noGrad(() => modelLogProbTable((ids) => model.forward(ids), TINY_GPT_PROMPTS, enumerateResponses(3, 3)));
    expect(table.shape).toEqual([2, 27]);
    for (let x = 0; x < 2; x++)
      expect(Array.from(table.data.subarray(x * 27, (x + 1) * 27)).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 13);
  });

  it("the tiny GPT's log-prob table passes gradcheck with respect to all parameters (fast mode)", () => {
    const policy = gptPolicy(tinyGpt(new Generator(8)));
    const report = gradcheckReport(() => policy.logProbTable(), policy.params, { fastMode: true });
    expect(report.ok).toBe(true);
    expect(TINY_GPT_RESPONSES).toHaveLength(9);
  });

  it('KL(p ‖ q) ≥ 0 with equality for p = q, and expectations are Σ_y π(y|x) f(x, y)', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const gen = new Generator(seed);
        const p = frozen(tabularLogProbs(randomLogits(gen, 2, 4, 2)));
        const q = frozen(tabularLogProbs(randomLogits(gen, 2, 4, 2)));
        klDivergence(p, q).data.forEach((v) => expect(v).toBeGreaterThan(0));
        klDivergence(p, p).data.forEach((v) => expect(v).toBe(0));
        const f = randomLogits(gen, 2, 4);
        const e = expectation(p, f).data;
        for (let x = 0; x < 2; x++) {
          let byLoop = 0;
          for (let y = 0; y < 4; y++) byLoop += Math.exp(p.data[x * 4 + y]!) * f.data[x * 4 + y]!;
          expect(e[x]).toBeCloseTo(byLoop, 13);
        }
      }),
    );
  });

  it('tableEntries reads table[x_i, y_i] and is differentiable', () => {
    const logits = randomLogits(new Generator(1), 3, 4, 1, true);
    const entries = tableEntries(logits, [2, 0, 2], [1, 3, 1]);
    expect(Array.from(entries.data)).toEqual([logits.data[9], logits.data[3], logits.data[9]]);
    expect(gradcheckReport((l: Tensor) => sum(tableEntries(tabularLogProbs(l), [2, 0], [1, 3])), [logits]).ok).toBe(true);
    expect(() => tableEntries(logits, [3], [0])).toThrow(/outside/);
  });

  it('sampleResponses draws from row x: frequencies within 5 standard errors of π(y|x)', () => {
    const table = frozen(tabularLogProbs(randomLogits(new Generator(2), 2, 4)));
    const n = 20000;
    const draws = sampleResponses(table, 1, n, new Generator(3));
    for (let y = 0; y < 4; y++) {
      const p = Math.exp(table.data[4 + y]!);
      const freq = draws.filter((d) => d === y).length / n;
      expect(Math.abs(freq - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});
