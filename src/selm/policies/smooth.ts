/**
 * A bandit policy that generalises across responses. The table (policies/tabular.ts) gives every response its
 * own free logit, so a DPO step moves only the logits of y_w and y_l and every unseen response keeps one common
 * ratio πθ/π_ref: the optimism term of eq. (3.2) then cannot favour one unseen response over another (issue 12).
 * Figure 1's picture needs a model whose update on one response spreads to its neighbours. Here
 *
 *     logits(·|x) = log π_SFT(·|task(x)) + Φ θ[task(x)],   Φ[k, j] = exp(−(k − j)² / (2 w²))
 *
 * with Gaussian RBF features over the response line of width w (`featureWidth`, in response steps) and θ
 * starting at 0, so the policy starts exactly at π_SFT. Width 0 is the table ("no generalisation"): θ is then
 * the logit table itself, initialised to log π_SFT, and every computation is the TabularPolicy's, bit for bit.
 *
 * `sampleTemperature` (default 1) only changes `generate(…, 'sample')`: draws come from π^{1/τ}. It is the
 * tempered-y_ref control (passive exploration: y_ref sampled from π_ref at τ > 1); log-probs, greedy
 * responses and every evaluation use π itself.
 */
import { type Generator, Tensor, add, matmul, noGrad } from '../../autograd/index.js';
import type { Policy, ResponseMode } from '../policy.js';
import { tableEntries, tabularLogProbs } from '../tabular.js';
import type { Tokens } from '../types.js';
import { pickResponse } from './pick.js';

export interface SmoothPolicyOptions {
  /** Width w of the RBF features in response steps; 0 = the table. */
  featureWidth: number;
  /** Temperature of sampled responses (y_ref); 1 = π itself. */
  sampleTemperature?: number;
}

/** Φ [K, K] with Φ[k, j] = exp(−(k − j)² / (2 w²)) (symmetric); w = 0 gives the identity. */
export function rbfFeatures(responses: number, width: number): Tensor {
  if (!(width >= 0) || !Number.isFinite(width)) throw new Error(`rbfFeatures: width must be a finite number >= 0, got ${width}`);
  const data = new Float64Array(responses * responses);
  for (let k = 0; k < responses; k++) {
    for (let j = 0; j < responses; j++)
      data[k * responses + j] = width === 0 ? (k === j ? 1 : 0) : Math.exp(-((k - j) ** 2) / (2 * width * width));
  }
  return new Tensor(data, [responses, responses]);
}

export class SmoothPolicy implements Policy {
  /** The trained parameters [tasks, K]: RBF coefficients (width > 0) or the logits themselves (width 0). */
  readonly theta: Tensor;
  readonly featureWidth: number;
  readonly sampleTemperature: number;
  /** log π_SFT [tasks, K], a constant (absent at width 0, where θ carries it). */
  private readonly base: Tensor | null;
  private readonly features: Tensor | null;

  /** `initial` is the [tasks][K] table of log π_SFT the policy starts from. */
  constructor(initial: readonly (readonly number[])[], options: SmoothPolicyOptions) {
    const K = initial[0]?.length ?? 0;
    if (initial.length === 0 || K === 0 || initial.some((row) => row.length !== K))
      throw new Error('SmoothPolicy: needs a non-empty rectangular table');
    const temperature = options.sampleTemperature ?? 1;
    if (!(temperature > 0) || !Number.isFinite(temperature))
      throw new Error(`SmoothPolicy: sampleTemperature must be a finite number > 0, got ${temperature}`);
    this.featureWidth = options.featureWidth;
    this.sampleTemperature = temperature;
    const table = Float64Array.from(initial.flat());
    if (options.featureWidth === 0) {
      this.theta = new Tensor(table, [initial.length, K], true);
      this.base = null;
      this.features = null;
    } else {
      this.features = rbfFeatures(K, options.featureWidth);
      this.base = new Tensor(table, [initial.length, K]);
      this.theta = new Tensor(new Float64Array(initial.length * K), [initial.length, K], true);
    }
  }

  get tasks(): number {
    return this.theta.shape[0]!;
  }

  get responses(): number {
    return this.theta.shape[1]!;
  }

  /** The logits [tasks, K] (differentiable in θ). Φ is symmetric, so θ Φ is (Φ θ[g])ᵀ row by row. */
  logitTable(): Tensor {
    return this.features === null ? this.theta : add(this.base!, matmul(this.theta, this.features));
  }

  /** log π(·|x) for every task, [tasks, K] (differentiable). */
  logProbTable(): Tensor {
    return tabularLogProbs(this.logitTable());
  }

  private task(prompt: Tokens): number {
    const g = prompt[0];
    if (g === undefined || !(g >= 0 && g < this.tasks))
      throw new Error(`SmoothPolicy: prompt [${prompt}] names no task in [0, ${this.tasks})`);
    return g;
  }

  /** log π(·|x) over the whole response set, exact (the TabularPolicy's arithmetic on the logit row). */
  responseLogProbs(prompt: Tokens): Float64Array {
    const g = this.task(prompt);
    const K = this.responses;
    const logits = this.features === null ? this.theta.data : noGrad(() => this.logitTable()).data;
    const row = logits.subarray(g * K, (g + 1) * K);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let total = 0;
    for (const v of row) total += Math.exp(v - max);
    const logZ = max + Math.log(total);
    return Float64Array.from(row, (v) => v - logZ);
  }

  generate(prompts: readonly Tokens[], mode: ResponseMode, generator: Generator): Tokens[] {
    return prompts.map((prompt) => [pickResponse(this.responseLogProbs(prompt), mode, generator, this.sampleTemperature)]);
  }

  logProbs(prompts: readonly Tokens[], responses: readonly Tokens[]): Tensor {
    if (prompts.length !== responses.length)
      throw new Error(`SmoothPolicy.logProbs: ${prompts.length} prompts but ${responses.length} responses`);
    const ks = responses.map((r) => {
      if (r.length !== 1) throw new Error(`SmoothPolicy.logProbs: a bandit response is one token, got [${r}]`);
      return r[0]!;
    });
    return tableEntries(
      this.logProbTable(),
      prompts.map((p) => this.task(p)),
      ks,
    );
  }

  parameters(): Tensor[] {
    return [this.theta];
  }

  stateDict(): Record<string, Tensor> {
    return this.features === null ? { logits: this.theta } : { theta: this.theta };
  }

  loadStateDict(state: Record<string, Tensor>): void {
    const name = this.features === null ? 'logits' : 'theta';
    const t = state[name];
    const names = Object.keys(state);
    if (!t || names.length !== 1)
      throw new Error(`SmoothPolicy.loadStateDict: expected exactly one tensor '${name}', got [${names.join(', ')}]`);
    if (t.shape.join() !== this.theta.shape.join())
      throw new Error(`SmoothPolicy.loadStateDict: ${name} [${t.shape}] does not match [${this.theta.shape}]`);
    noGrad(() => this.theta.data.set(t.data));
  }

  clone(): SmoothPolicy {
    const K = this.responses;
    const baseData = this.base === null ? this.theta.data : this.base.data;
    const rows = Array.from({ length: this.tasks }, (_, g) => Array.from(baseData.subarray(g * K, (g + 1) * K)));
    const copy = new SmoothPolicy(rows, { featureWidth: this.featureWidth, sampleTemperature: this.sampleTemperature });
    noGrad(() => copy.theta.data.set(this.theta.data));
    return copy;
  }
}
