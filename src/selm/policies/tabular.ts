/**
 * The bandit's policy: a table of logits [tasks, K], π(·|x) = softmax(logits[task(x)]). It implements the same
 * Policy interface as the GPT policy, so Algorithm 1 runs unchanged on both; here every distribution over Y is
 * available exactly (`responseLogProbs`), so the evaluation needs no sampling.
 */
import { type Generator, Tensor, noGrad } from '../../autograd/index.js';
import type { Policy, ResponseMode } from '../policy.js';
import { tableEntries, tabularLogProbs } from '../tabular.js';
import type { Tokens } from '../types.js';
import { logSoftmaxRow, pickResponse } from './pick.js';

export class TabularPolicy implements Policy {
  readonly logits: Tensor;

  /** `logProbs` is a [tasks][K] table of initial log-probabilities (for instance the world's π_SFT). */
  constructor(initial: readonly (readonly number[])[] | Tensor) {
    if (initial instanceof Tensor) {
      this.logits = new Tensor(Float64Array.from(initial.data), initial.shape, true);
    } else {
      const K = initial[0]?.length ?? 0;
      if (initial.length === 0 || K === 0 || initial.some((row) => row.length !== K))
        throw new Error('TabularPolicy: needs a non-empty rectangular table');
      this.logits = new Tensor(Float64Array.from(initial.flat()), [initial.length, K], true);
    }
  }

  get tasks(): number {
    return this.logits.shape[0]!;
  }

  get responses(): number {
    return this.logits.shape[1]!;
  }

  private task(prompt: Tokens): number {
    const g = prompt[0];
    if (g === undefined || !(g >= 0 && g < this.tasks))
      throw new Error(`TabularPolicy: prompt [${prompt}] names no task in [0, ${this.tasks})`);
    return g;
  }

  /** log π(·|x) over the whole response set, exact. */
  responseLogProbs(prompt: Tokens): Float64Array {
    const g = this.task(prompt);
    const K = this.responses;
    const row = this.logits.data.subarray(g * K, (g + 1) * K);
    return logSoftmaxRow(row);
  }

  generate(prompts: readonly Tokens[], mode: ResponseMode, generator: Generator): Tokens[] {
    return prompts.map((prompt) => [pickResponse(this.responseLogProbs(prompt), mode, generator)]);
  }

  logProbs(prompts: readonly Tokens[], responses: readonly Tokens[]): Tensor {
    if (prompts.length !== responses.length)
      throw new Error(`TabularPolicy.logProbs: ${prompts.length} prompts but ${responses.length} responses`);
    const ks = responses.map((r) => {
      if (r.length !== 1) throw new Error(`TabularPolicy.logProbs: a bandit response is one token, got [${r}]`);
      return r[0]!;
    });
    return tableEntries(
      tabularLogProbs(this.logits),
      prompts.map((p) => this.task(p)),
      ks,
    );
  }

  parameters(): Tensor[] {
    return [this.logits];
  }

  stateDict(): Record<string, Tensor> {
    return { logits: this.logits };
  }

  loadStateDict(state: Record<string, Tensor>): void {
    const t = state.logits;
    const names = Object.keys(state);
    if (!t || names.length !== 1)
      throw new Error(`TabularPolicy.loadStateDict: expected exactly one tensor 'logits', got [${names.join(', ')}]`);
    if (t.shape.join() !== this.logits.shape.join())
      throw new Error(`TabularPolicy.loadStateDict: logits [${t.shape}] do not match [${this.logits.shape}]`);
    noGrad(() => this.logits.data.set(t.data));
  }

  clone(): TabularPolicy {
    return new TabularPolicy(this.logits);
  }
}
