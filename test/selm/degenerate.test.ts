/**
 * Degenerate sizes through selm: a batch of exactly one preference example (its loss is the per-example
 * formula, not a mean that divides by a wrong count), a single-sequence batch of a GPT policy (equal to its row
 * in a larger batch), responses of one token and of none, and Algorithm 1 on one triple with batch size 1.
 */
import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '../../src/autograd/index.js';
import { DEFAULT_ALGORITHM, NonFiniteLossError, trainIteration } from '../../src/selm/algorithm.js';
import { dpoLoss, selmLoss } from '../../src/selm/losses.js';
import { GptPolicy } from '../../src/selm/policies/gpt.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';
import { DEFAULT_BANDIT, makeBanditWorld } from '../../src/lab/worlds/bandit.js';
import { GPT } from '../../src/nn/gpt.js';

const one = (v: number) => tensor([v], { dtype: 'float64' });

describe('a batch of one preference example', () => {
  it('DPO and SELM losses equal the per-example formulas, by hand', () => {
    const beta = 0.5;
    const alpha = 0.2;
    const logps = { policyChosen: one(-1), policyRejected: one(-2), referenceChosen: one(-1.5), referenceRejected: one(-1.25) };
    // −log σ(β((−1 + 1.5) − (−2 + 1.25))) = −log σ(0.625) = log(1 + e^−0.625)
    const dpo = Math.log1p(Math.exp(-0.625));
    expect(dpoLoss(logps, { beta }).item()).toBeCloseTo(dpo, 14);
    // The 'paper' optimism term α β log π(y_ref|x), added once.
    const selm = selmLoss(logps, { policyResponse: one(-3) }, { alpha, beta, optimismForm: 'paper' }).item();
    expect(selm).toBeCloseTo(dpo + alpha * beta * -3, 14);
  });

  it('Algorithm 1 trains on a single triple with batch size 1 (finite, and the policy moves)', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 0);
    const policy = new TabularPolicy(world.sftLogProbs);
    const reference = policy.clone();
    const before = Array.from(policy.parameters()[0]!.data);
    const triple = { ...world.preferences[0]!, yRef: world.preferences[0]!.rejected };
    let steps = 0;
    trainIteration(
      policy,
      reference,
      [triple],
      { ...DEFAULT_ALGORITHM, batchSize: 1, epochs: 2, warmupRatio: 0, optimizer: 'sgd' },
      new Generator(0),
      {
        alpha: 0.1,
        peakLr: 0.5,
        iteration: 1,
        onStep: (r) => {
          steps++;
          expect(Number.isFinite(r.loss)).toBe(true);
        },
      },
    );
    expect(steps).toBe(2);
    expect(Array.from(policy.parameters()[0]!.data)).not.toEqual(before);
  });
});

describe('non-finite loss messages', () => {
  it('name SFT for iteration −1 only; the Zephyr iteration 0 is an iteration', () => {
    expect(new NonFiniteLossError(-1, 4, 'loss/sft', Number.NaN).message).toBe(
      'non-finite loss/sft (NaN) during SFT, at step 4; training stopped',
    );
    expect(new NonFiniteLossError(0, 2, 'loss', Number.NaN).message).toMatch(/^non-finite loss \(NaN\) at iteration 0, step 2; /);
  });
});

describe('a GPT policy on one sequence', () => {
  const gpt = new GPT({ vocabSize: 9, contextLength: 8, width: 8, heads: 2, layers: 1, dtype: 'float64' }, new Generator(3));
  const policy = new GptPolicy(gpt, { eosId: 1, padId: 0, maxResponseTokens: 3 });

  it('log π(y|x) of a single-sequence batch equals its row in a two-sequence batch (one-token and longer responses)', () => {
    const prompts = [
      [2, 3],
      [2, 4, 5],
    ];
    const responses = [[6], [7, 8, 1]];
    const both = policy.logProbs(prompts, responses).data;
    for (const i of [0, 1]) expect(policy.logProbs([prompts[i]!], [responses[i]!]).data[0]!).toBeCloseTo(both[i]!, 12);
  });

  it('an empty response has log-probability exactly 0 (an empty product), also after a one-token prompt (T = 1)', () => {
    expect(policy.logProbs([[2, 3]], [[]]).data[0]).toBe(0);
    const single = policy.logProbs([[2], [2]], [[], []]);
    expect(single.shape).toEqual([2]);
    expect(Array.from(single.data)).toEqual([0, 0]);
  });
});
