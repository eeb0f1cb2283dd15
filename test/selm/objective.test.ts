import { describe, expect, it } from 'vitest';
import { Generator, embedding, grad, randn, reshape, type Tensor } from '../../src/autograd/index.js';
import {
  batchLogps,
  dpoLossForModels,
  exactOptimismTerm,
  exactSelmLoss,
  frozen,
  selmLoss,
  selmLossForModels,
  sequenceLogProbs,
  tabularLogProbs,
  type PreferenceExample,
} from '../../src/selm/index.js';
import { tinyGpt } from '../../src/selm/gradcheck-suite.js';
import { randomLogits, randomTriples } from './fixtures.js';

const V = 4;

function bigram(seed: number): { model: (ids: Tensor) => Tensor; W: Tensor } {
  const W = randn([V, V], { dtype: 'float64', generator: new Generator(seed), requiresGrad: true });
  return { model: (ids) => reshape(embedding(W, ids), [ids.shape[0]!, ids.shape[1]!, V]), W };
}

const batch: PreferenceExample[] = [
  { prompt: [0], chosen: [1, 2], rejected: [3], referenceResponse: [2, 2, 1] },
  { prompt: [2, 3], chosen: [0], rejected: [1, 1], referenceResponse: [3] },
];

describe('the SELM loss for a batch through models', () => {
  it('equals selmLoss of the log-probs each model gives row by row, with metrics', () => {
    const policy = bigram(1);
    const reference = bigram(2);
    const options = { beta: 0.2, alpha: 0.5 };
    const result = selmLossForModels(policy.model, reference.model, batch, options);
    const lp = (m: (ids: Tensor) => Tensor, resp: 'chosen' | 'rejected' | 'referenceResponse'): Tensor =>
      sequenceLogProbs(
        m,
        batch.map((e) => ({ prompt: e.prompt, response: e[resp]! })),
      );
    const expected = selmLoss(
      {
        policyChosen: lp(policy.model, 'chosen'),
        policyRejected: lp(policy.model, 'rejected'),
        referenceChosen: lp(reference.model, 'chosen'),
        referenceRejected: lp(reference.model, 'rejected'),
      },
      { policyResponse: lp(policy.model, 'referenceResponse') },
      options,
    ).item();
    expect(result.loss.item()).toBeCloseTo(expected, 13);
    expect(result.metrics.loss).toBeCloseTo(expected, 13);
    expect(result.metrics['logps/pi_response']).toBeCloseTo(
      (lp(policy.model, 'referenceResponse').data[0]! + lp(policy.model, 'referenceResponse').data[1]!) / 2,
      13,
    );
  });

  it('sends gradients to the policy only; a precomputed reference gives the same loss', () => {
    const policy = bigram(3);
    const reference = bigram(4);
    const result = selmLossForModels(policy.model, reference.model, batch, { beta: 0.1, alpha: 1 });
    const [gp, gr] = grad(result.loss, [policy.W, reference.W], { allowUnused: true });
    expect(gp).not.toBeNull();
    expect(gr).toBeNull();
    const pre = batchLogps(reference.model, batch);
    expect(selmLossForModels(policy.model, pre, batch, { beta: 0.1, alpha: 1 }).loss.item()).toBe(result.loss.item());
  });

  it('with α = 0 is the DPO loss exactly, and α ≠ 0 without y_ref is an error', () => {
    const policy = bigram(5);
    const reference = bigram(6);
    const selm = selmLossForModels(policy.model, reference.model, batch, { beta: 0.3, alpha: 0 });
    const dpo = dpoLossForModels(policy.model, reference.model, batch, { beta: 0.3 });
    expect(Object.is(selm.loss.item(), dpo.loss.item())).toBe(true);
    expect(selm.metrics['loss/optimism']).toBe(0);
    const noRef = batch.map(({ referenceResponse: _, ...rest }) => rest);
    expect(() => selmLossForModels(policy.model, reference.model, noRef, { beta: 0.3, alpha: 0.1 })).toThrow(/referenceResponse/);
  });

  it("at the start of an iteration (policy = reference) the loss is log 2 in the authors' form, for the tiny GPT", () => {
    const gpt = tinyGpt(new Generator(7));
    const ref = gpt.clone('float64');
    const lm =
      (m: typeof gpt) =>
      (ids: Tensor): Tensor =>
        m.forward(ids);
    const result = selmLossForModels(
      lm(gpt),
      lm(ref),
      batch.map((e) => ({
        ...e,
        prompt: e.prompt.map((t) => t % 3),
        chosen: e.chosen.map((t) => t % 3),
        rejected: e.rejected.map((t) => (t + 1) % 3),
        referenceResponse: e.referenceResponse!.map((t) => t % 3),
      })),
      {
        beta: 0.1,
        alpha: 0.5,
        optimismForm: 'authors',
      },
    );
    expect(result.loss.item()).toBeCloseTo(Math.LN2, 13);
    expect(result.metrics['rewards/margins']).toBe(0);
  });
});

describe('the exact SELM loss on a finite space', () => {
  it('is the mean DPO loss over triples plus α β mean_i Σ_y π_ref(y|x_i) log πθ(y|x_i)', () => {
    const gen = new Generator(9);
    const logTheta = frozen(tabularLogProbs(randomLogits(gen, 3, 4)));
    const logRef = frozen(tabularLogProbs(randomLogits(gen, 3, 4)));
    const data = randomTriples(gen, 3, 4, 5);
    const [alpha, beta] = [0.4, 0.7];
    let optimism = 0;
    for (const d of data)
      for (let y = 0; y < 4; y++) optimism += Math.exp(logRef.data[d.prompt * 4 + y]!) * logTheta.data[d.prompt * 4 + y]!;
    optimism *= (alpha * beta) / data.length;
    expect(exactOptimismTerm(logTheta, logRef, data, { alpha, beta }).item()).toBeCloseTo(optimism, 13);
    const dpo = exactSelmLoss(logTheta, logRef, data, { alpha: 0, beta }).item();
    expect(exactSelmLoss(logTheta, logRef, data, { alpha, beta }).item()).toBeCloseTo(dpo + optimism, 13);
  });
});
