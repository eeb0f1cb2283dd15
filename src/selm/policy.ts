/** The policy interface Algorithm 1 drives (algorithm.ts); a tabular softmax and a GPT implement it (policies/). */
import type { Generator, Tensor } from '../autograd/index.js';
import type { Tokens } from './types.js';

export type ResponseMode = 'greedy' | 'sample';

/** What Algorithm 1 needs from a language model; the tabular bandit policy and the GPT policy implement it. */
export interface Policy {
  /** One response per prompt, greedy or sampled, from this policy. */
  generate(prompts: readonly Tokens[], mode: ResponseMode, generator: Generator): Tokens[];
  /** log π(y|x) for each pair, shape [B]; differentiable in `parameters()` (unless run under noGrad). */
  logProbs(prompts: readonly Tokens[], responses: readonly Tokens[]): Tensor;
  parameters(): Tensor[];
  /** Named tensors for checkpoints. */
  stateDict(): Record<string, Tensor>;
  /** Loads weights, checking names and shapes first (nothing is loaded on a mismatch). */
  loadStateDict(state: Record<string, Tensor>): void;
  /** An independent deep copy: π_ref ← πθ takes one. */
  clone(): Policy;
  /**
   * Per row of the last `logProbs` call: the mean logit over the positions that predict its response tokens (all
   * vocabulary entries), what TRL logs as logits/chosen and logits/rejected. Optional: a policy without logits
   * (the tabular one) leaves it out.
   */
  readonly lastMeanLogits?: Float64Array | null;
  /** log π(·|x) over the world's enumerated responses, when Y is small enough (the bandit). */
  responseLogProbs?(prompt: Tokens): Float64Array;
}
