import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, embedding, gradcheckReport, randn, reshape, tensor, type Tensor } from '../../src/autograd/index.js';
import { implicitReward, packBatch, sequenceLogProbs, sequenceLogProbsFromLogits, type PromptResponse } from '../../src/selm/index.js';
import { tinyGpt } from '../../src/selm/gradcheck-suite.js';
import { f64, logpsArb, seedArb } from './fixtures.js';

const V = 4;

/** Random (prompt, response) pairs over a vocabulary of V, prompts of 1-3 tokens, responses of 0-3. */
const pairsArb: fc.Arbitrary<PromptResponse[]> = fc.array(
  fc.record({
    prompt: fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 3 }),
    response: fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 0, maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 4 },
);

function logSoftmaxRow(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const lse = m + Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(row, (v) => v - lse);
}

/** The definition, by loops: Σ over response tokens y_k at row position p + k of log softmax(logits[p + k − 1])[y_k]. */
function bruteForce(logits: Tensor, pairs: readonly PromptResponse[], average: boolean): number[] {
  const T = logits.shape[1]!;
  return pairs.map(({ prompt, response }, b) => {
    let total = 0;
    response.forEach((tok, k) => {
      const t = prompt.length + k - 1; // the position whose logits predict this token
      const row = logits.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      total += logSoftmaxRow(row)[tok]!;
    });
    return average ? total / Math.max(response.length, 1) : total;
  });
}

describe('sequence log-probabilities log π(y|x)', () => {
  it('sum exactly the response tokens, each scored by the logits one position earlier (prompt and padding masked)', () => {
    fc.assert(
      fc.property(pairsArb, seedArb, fc.boolean(), fc.integer({ min: 0, max: 2 }), (pairs, seed, average, extraPad) => {
        const longest = Math.max(...pairs.map((p) => p.prompt.length + p.response.length));
        const { ids, responseMask } = packBatch(pairs, { length: longest + extraPad, padId: V - 1 });
        const logits = randn([pairs.length, longest + extraPad, V], { dtype: 'float64', generator: new Generator(seed) });
        const got = sequenceLogProbsFromLogits(logits, ids, responseMask, { average }).data;
        bruteForce(logits, pairs, average).forEach((e, b) => expect(got[b]).toBeCloseTo(e, 12));
      }),
    );
  });

  it('do not change when prompt-position logits, padding logits or the pad id change', () => {
    fc.assert(
      fc.property(pairsArb, seedArb, (pairs, seed) => {
        const gen = new Generator(seed);
        const T = Math.max(...pairs.map((p) => p.prompt.length + p.response.length)) + 1;
        const a = packBatch(pairs, { length: T, padId: 0 });
        const b = packBatch(pairs, { length: T, padId: 3 });
        const logits = randn([pairs.length, T, V], { dtype: 'float64', generator: gen });
        const noisy = logits.data.slice();
        // Perturb every position whose logits predict no response token: positions before the prompt's last
        // token, and positions at or after the last response token.
        pairs.forEach(({ prompt, response }, r) => {
          for (let t = 0; t < T; t++) {
            const predictsResponse = t >= prompt.length - 1 && t < prompt.length + response.length - 1;
            if (!predictsResponse) for (let v = 0; v < V; v++) noisy[(r * T + t) * V + v]! += 5 * gen.normal();
          }
        });
        const base = sequenceLogProbsFromLogits(logits, a.ids, a.responseMask).data;
        const other = sequenceLogProbsFromLogits(tensor(noisy, { shape: logits.shape }), b.ids, b.responseMask).data;
        base.forEach((v, i) => expect(other[i]).toBeCloseTo(v, 12));
      }),
    );
  });

  it('through a causal bigram model equal Σ log softmax(W[previous token])[token], and an empty response has log π = 0', () => {
    const gen = new Generator(3);
    const W = randn([V, V], { dtype: 'float64', generator: gen });
    const bigram = (ids: Tensor): Tensor => reshape(embedding(W, ids), [ids.shape[0]!, ids.shape[1]!, V]);
    const pairs = [
      { prompt: [0, 2], response: [1, 3] },
      { prompt: [1], response: [] },
      { prompt: [3], response: [0, 0, 2] },
    ];
    const got = sequenceLogProbs(bigram, pairs).data;
    const row = (prev: number): number[] => logSoftmaxRow(W.data.subarray(prev * V, (prev + 1) * V));
    expect(got[0]).toBeCloseTo(row(2)[1]! + row(1)[3]!, 12);
    expect(got[1]).toBe(0);
    expect(got[2]).toBeCloseTo(row(3)[0]! + row(0)[0]! + row(0)[2]!, 12);
    const avg = sequenceLogProbs(bigram, pairs, { average: true }).data;
    expect(avg[2]).toBeCloseTo(got[2]! / 3, 12);
  });

  it('through the tiny GPT, a padded batch gives each row what it gets alone (right padding never leaks into a causal model)', () => {
    const model = tinyGpt(new Generator(11));
    const lm = (ids: Tensor): Tensor => model.forward(ids);
    const pairs = [
      { prompt: [0], response: [1, 2, 0] },
      { prompt: [2, 1], response: [0] },
      { prompt: [1], response: [2] },
    ];
    const batched = sequenceLogProbs(lm, pairs).data;
    pairs.forEach((p, i) => expect(batched[i]).toBeCloseTo(sequenceLogProbs(lm, [p]).item(), 12));
  });

  it('pass gradcheck with respect to the logits', () => {
    const pairs = [
      { prompt: [0, 1], response: [2, 3] },
      { prompt: [2], response: [1] },
    ];
    const { ids, responseMask } = packBatch(pairs);
    const logits = randn([2, 4, V], { dtype: 'float64', generator: new Generator(5), requiresGrad: true });
    for (const average of [false, true]) {
      expect(gradcheckReport((l) => sequenceLogProbsFromLogits(l!, ids, responseMask, { average }), [logits]).ok).toBe(true);
    }
  });

  it('reject an empty prompt and a too-short length', () => {
    expect(() => packBatch([{ prompt: [], response: [1] }])).toThrow(/empty prompt/);
    expect(() => packBatch([{ prompt: [1, 2], response: [1] }], { length: 2 })).toThrow(/shorter/);
  });
});

describe('implicit reward r̂θ(x, y) = β (log πθ(y|x) − log π_ref(y|x))', () => {
  it('is β times the log-ratio, and 0 where the policies agree', () => {
    fc.assert(
      fc.property(logpsArb(4), logpsArb(4), fc.integer({ min: 1, max: 20 }), (p, r, k) => {
        const beta = k / 10;
        const got = implicitReward(f64(p), f64(r), beta).data;
        p.forEach((v, i) => expect(got[i]).toBeCloseTo(beta * (v - r[i]!), 13));
        implicitReward(f64(p), f64(p), beta).data.forEach((v) => expect(v).toBe(0));
      }),
    );
  });
});
