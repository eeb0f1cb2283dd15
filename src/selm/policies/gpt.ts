/**
 * A GPT as an Algorithm 1 policy. Prompts are `BOS prompt SEP`, responses are content tokens followed by EOS
 * (when the model produced one before the length cap), so log π(y|x) is the probability of the whole response,
 * its end included (logprob.ts sums over response tokens only; the prompt is the condition).
 */
import type { Generator, Tensor } from '../../autograd/index.js';
import type { GPT } from '../../nn/gpt.js';
import { generate } from '../../nn/sample.js';
import type { Policy, ResponseMode } from '../policy.js';
import { sequenceLogProbs } from '../logprob.js';
import type { Tokens } from '../types.js';

export interface GptPolicyOptions {
  eosId: number;
  padId: number;
  /** Length cap of a generated response, EOS included. */
  maxResponseTokens: number;
  /** Sampling temperature for y_ref and evaluation samples (1 = the policy itself). */
  temperature?: number;
}

/** Per row, the mean of the logits at the positions that predict its response tokens (TRL's logits/chosen). */
function meanResponseLogits(logits: Tensor, pairs: readonly { prompt: Tokens; response: Tokens }[]): Float64Array {
  const [, T, V] = [logits.shape[0]!, logits.shape[1]!, logits.shape[2]!];
  const data = logits.data;
  return Float64Array.from(pairs, ({ prompt, response }, b) => {
    if (response.length === 0) return Number.NaN;
    let s = 0;
    // Position t's logits predict token t + 1: the response's tokens are predicted from prompt.length - 1 on.
    for (let t = prompt.length - 1; t < prompt.length - 1 + response.length; t++)
      for (let v = 0; v < V; v++) s += data[(b * T + t) * V + v]!;
    return s / (response.length * V);
  });
}

export class GptPolicy implements Policy {
  /** See Policy.lastMeanLogits. */
  lastMeanLogits: Float64Array | null = null;

  constructor(
    readonly model: GPT,
    readonly options: GptPolicyOptions,
  ) {}

  generate(prompts: readonly Tokens[], mode: ResponseMode, generator: Generator): Tokens[] {
    const result = generate(this.model, prompts, {
      maxNewTokens: this.options.maxResponseTokens,
      eosId: this.options.eosId,
      padId: this.options.padId,
      greedy: mode === 'greedy',
      temperature: this.options.temperature ?? 1,
      generator,
    });
    return result.tokens;
  }

  logProbs(prompts: readonly Tokens[], responses: readonly Tokens[]): Tensor {
    if (prompts.length !== responses.length)
      throw new Error(`GptPolicy.logProbs: ${prompts.length} prompts but ${responses.length} responses`);
    const pairs = prompts.map((prompt, i) => ({ prompt, response: responses[i]! }));
    let logits: Tensor | null = null;
    // Right padding after the response: a causal model never lets a padded position influence an earlier one.
    const out = sequenceLogProbs((ids) => (logits = this.model.forward(ids)), pairs, {
      padId: this.options.padId,
      dtype: this.model.config.dtype,
    });
    this.lastMeanLogits = meanResponseLogits(logits!, pairs);
    return out;
  }

  parameters(): Tensor[] {
    return this.model.parameters();
  }

  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.model.namedParameters());
  }

  loadStateDict(state: Record<string, Tensor>): void {
    this.model.loadStateDict(state);
  }

  clone(): GptPolicy {
    return new GptPolicy(this.model.clone(), this.options);
  }
}
