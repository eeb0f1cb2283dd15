/**
 * A bandit policy that generalises across responses. The table (policies/tabular.ts) gives every response its
 * own free logit, so a DPO step moves only the logits of y_w and y_l and every unseen response keeps one common
 * ratio πθ/π_ref: the optimism term of eq. (3.2) then cannot favour one unseen response over another (issue 12).
 * Figure 1's picture needs a model whose update on one response spreads to its neighbours. Here
 *
 *     logits(·|x) = log π_SFT(·|x) + Ψ θ[task(x)] Φ   (row context(x)),
 *     Φ[j, k] = exp(−(j − k)² / (2 w²)),   Ψ[c, m] = exp(−(c − m)² / (2 w_c²))
 *
 * with Gaussian RBF features over the response line of width w (`featureWidth`, in response steps), θ[task]
 * a [contexts, K] block starting at 0, so the policy starts exactly at π_SFT. Width 0 is the table ("no
 * generalisation"): θ is then the logit table itself, initialised to log π_SFT, and every computation is the
 * TabularPolicy's, bit for bit.
 *
 * The prompt-context variant: a prompt [task, instance] has the context `promptContext` = instance mod
 * `contexts` (a position on a context line), and the features are a product of RBFs over the context line
 * (width w_c, `contextWidth`, in context steps) and over the response line, so an update at one prompt spreads
 * to prompts of nearby contexts as well as to nearby responses. π_SFT then differs between contexts, so a
 * greedy y_ref (the authors' choice) differs between prompts. One context (the default) is today's policy
 * bit for bit; w_c = 0 shares nothing between contexts.
 *
 * `sampleTemperature` (default 1) only changes `generate(…, 'sample')`: draws come from π^{1/τ}. It is the
 * tempered-y_ref control (passive exploration: y_ref sampled from π_ref at τ > 1); log-probs, greedy
 * responses and every evaluation use π itself.
 */
import { type Generator, Tensor, add, matmul, noGrad } from '../../autograd/index.js';
import type { Policy, ResponseMode } from '../policy.js';
import { tableEntries, tabularLogProbs } from '../tabular.js';
import type { Tokens } from '../types.js';
import { logSoftmaxRow, pickResponse } from './pick.js';

export interface SmoothPolicyOptions {
  /** Width w of the RBF features in response steps; 0 = the table. */
  featureWidth: number;
  /** Temperature of sampled responses (y_ref); 1 = π itself. */
  sampleTemperature?: number;
  /** Contexts per task (1 = none: the policy depends on the task only); the table has tasks × contexts rows. */
  contexts?: number;
  /** Width w_c of the RBF features over the context line, in context steps; 0 = contexts share nothing. */
  contextWidth?: number;
}

/** A prompt's context: its instance number mod `contexts` (0 when there is one context, whatever the prompt). */
export function promptContext(prompt: Tokens, contexts: number): number {
  if (contexts === 1) return 0;
  const i = prompt[1];
  if (i === undefined || !Number.isInteger(i) || i < 0) throw new Error(`promptContext: prompt [${prompt}] has no instance number`);
  return i % contexts;
}

/** The block-diagonal context features [tasks·C, tasks·C]: one Ψ (the RBF over the context line) per task. */
function contextFeatures(tasks: number, contexts: number, width: number): Tensor {
  const psi = rbfFeatures(contexts, width).data;
  const n = tasks * contexts;
  const data = new Float64Array(n * n);
  for (let g = 0; g < tasks; g++)
    for (let c = 0; c < contexts; c++)
      for (let m = 0; m < contexts; m++) data[(g * contexts + c) * n + g * contexts + m] = psi[c * contexts + m]!;
  return new Tensor(data, [n, n]);
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
  /** The trained parameters [tasks·contexts, K]: RBF coefficients, or the logits themselves (the table). */
  readonly theta: Tensor;
  readonly featureWidth: number;
  readonly sampleTemperature: number;
  readonly contexts: number;
  readonly contextWidth: number;
  /** log π_SFT [tasks·contexts, K], a constant (absent for the table, where θ carries it). */
  private readonly base: Tensor | null;
  /** Φ over responses (null at width 0) and block-diagonal Ψ over contexts (null when contexts share nothing). */
  private readonly features: Tensor | null;
  private readonly contextMix: Tensor | null;

  /** `initial` is the [tasks·contexts][K] table of log π_SFT the policy starts from (row task·contexts + context). */
  constructor(initial: readonly (readonly number[])[], options: SmoothPolicyOptions) {
    const K = initial[0]?.length ?? 0;
    if (initial.length === 0 || K === 0 || initial.some((row) => row.length !== K))
      throw new Error('SmoothPolicy: needs a non-empty rectangular table');
    const temperature = options.sampleTemperature ?? 1;
    if (!(temperature > 0) || !Number.isFinite(temperature))
      throw new Error(`SmoothPolicy: sampleTemperature must be a finite number > 0, got ${temperature}`);
    const contexts = options.contexts ?? 1;
    const contextWidth = options.contextWidth ?? 0;
    if (!Number.isInteger(contexts) || contexts < 1 || initial.length % contexts !== 0)
      throw new Error(`SmoothPolicy: contexts must be a positive integer dividing the table's ${initial.length} rows, got ${contexts}`);
    if (!(contextWidth >= 0) || !Number.isFinite(contextWidth))
      throw new Error(`SmoothPolicy: contextWidth must be a finite number >= 0, got ${contextWidth}`);
    this.featureWidth = options.featureWidth;
    this.sampleTemperature = temperature;
    this.contexts = contexts;
    this.contextWidth = contextWidth;
    const table = Float64Array.from(initial.flat());
    const shared = contexts > 1 && contextWidth > 0;
    this.contextMix = shared ? contextFeatures(initial.length / contexts, contexts, contextWidth) : null;
    if (options.featureWidth === 0 && !shared) {
      this.theta = new Tensor(table, [initial.length, K], true);
      this.base = null;
      this.features = null;
    } else {
      this.features = options.featureWidth === 0 ? null : rbfFeatures(K, options.featureWidth);
      this.base = new Tensor(table, [initial.length, K]);
      this.theta = new Tensor(new Float64Array(initial.length * K), [initial.length, K], true);
    }
  }

  /** Rows of the table: tasks × contexts. */
  get rows(): number {
    return this.theta.shape[0]!;
  }

  get tasks(): number {
    return this.rows / this.contexts;
  }

  get responses(): number {
    return this.theta.shape[1]!;
  }

  /** The logits [tasks·contexts, K] (differentiable in θ). Φ is symmetric, so θ Φ is (Φ θ[row])ᵀ row by row. */
  logitTable(): Tensor {
    if (this.base === null) return this.theta;
    const responseSide = this.features === null ? this.theta : matmul(this.theta, this.features);
    return add(this.base, this.contextMix === null ? responseSide : matmul(this.contextMix, responseSide));
  }

  /** log π(·|x) for every row, [tasks·contexts, K] (differentiable). */
  logProbTable(): Tensor {
    return tabularLogProbs(this.logitTable());
  }

  /** The table row of a prompt: task × contexts + its context. */
  row(prompt: Tokens): number {
    const g = prompt[0];
    if (g === undefined || !(g >= 0 && g < this.tasks))
      throw new Error(`SmoothPolicy: prompt [${prompt}] names no task in [0, ${this.tasks})`);
    return g * this.contexts + promptContext(prompt, this.contexts);
  }

  /** log π(·|x) over the whole response set, exact (the TabularPolicy's arithmetic on the logit row). */
  responseLogProbs(prompt: Tokens): Float64Array {
    const g = this.row(prompt);
    const K = this.responses;
    const logits = this.base === null ? this.theta.data : noGrad(() => this.logitTable()).data;
    const row = logits.subarray(g * K, (g + 1) * K);
    return logSoftmaxRow(row);
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
      prompts.map((p) => this.row(p)),
      ks,
    );
  }

  parameters(): Tensor[] {
    return [this.theta];
  }

  stateDict(): Record<string, Tensor> {
    return this.base === null ? { logits: this.theta } : { theta: this.theta };
  }

  loadStateDict(state: Record<string, Tensor>): void {
    const name = this.base === null ? 'logits' : 'theta';
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
    const rows = Array.from({ length: this.rows }, (_, g) => Array.from(baseData.subarray(g * K, (g + 1) * K)));
    const copy = new SmoothPolicy(rows, {
      featureWidth: this.featureWidth,
      sampleTemperature: this.sampleTemperature,
      contexts: this.contexts,
      contextWidth: this.contextWidth,
    });
    noGrad(() => copy.theta.data.set(this.theta.data));
    return copy;
  }
}
