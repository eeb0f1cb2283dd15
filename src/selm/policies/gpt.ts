/**
 * A GPT as an Algorithm 1 policy. Prompts are `BOS prompt SEP`, responses are content tokens followed by EOS
 * (when the model produced one before the length cap), so log π(y|x) is the probability of the whole response,
 * its end included (logprob.ts sums over response tokens only; the prompt is the condition).
 */
import { Generator, Tensor } from '../../autograd/index.js';
import { GPT } from '../../nn/gpt.js';
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

export class GptPolicy implements Policy {
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
    if (prompts.length !== responses.length) throw new Error(`GptPolicy.logProbs: ${prompts.length} prompts but ${responses.length} responses`);
    const pairs = prompts.map((prompt, i) => ({ prompt, response: responses[i]! }));
    // Right padding after the response: a causal model never lets a padded position influence an earlier one.
    return sequenceLogProbs((ids) => this.model.forward(ids), pairs, { padId: this.options.padId, dtype: this.model.config.dtype });
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
