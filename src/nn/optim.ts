/**
 * Optimisers with PyTorch's semantics (torch.optim.AdamW and SGD, default flags), and global gradient-norm
 * clipping. They run after backward, outside any graph, writing parameters' `.data` in place; per-element
 * loops here are the update rule itself, not model code. State lives in the parameters' dtype, as in PyTorch,
 * and `getState` / `setState` capture it for resumable checkpoints.
 */
import { Tensor, formatShape, getBackend, zeros, type TypedArray } from '../autograd/index.js';
import { optimizerKernels } from '../autograd/backend/backend.js';
import type { Module } from './module.js';

/** Parameters that share hyperparameters; `weightDecay` overrides the optimiser's. */
export interface ParamGroup {
  params: readonly Tensor[];
  weightDecay?: number;
}

/** An optimiser's resumable state: scalars plus named buffers (e.g. `exp_avg.3` for parameter 3). */
export interface OptimizerState {
  type: string;
  lr: number;
  buffers: Record<string, Tensor>;
}

interface Group {
  params: Tensor[];
  weightDecay: number;
}

export abstract class Optimizer {
  /** The learning rate of the next step; schedules set it before each step. */
  lr: number;
  readonly groups: readonly Group[];
  /** Every parameter, in group order: buffer names use indices into this list. */
  protected readonly params: readonly Tensor[];
  protected readonly buffers = new Map<string, TypedArray>();

  protected constructor(
    readonly type: string,
    params: readonly Tensor[] | readonly ParamGroup[],
    lr: number,
    weightDecay: number,
  ) {
    checkNumber(type, 'lr', lr, 0);
    checkNumber(type, 'weightDecay', weightDecay, 0);
    this.lr = lr;
    const groups: ParamGroup[] =
      params.length > 0 && params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as ParamGroup[]);
    this.groups = groups.map((g) => ({ params: [...g.params], weightDecay: g.weightDecay ?? weightDecay }));
    this.params = this.groups.flatMap((g) => g.params);
    if (new Set(this.params).size !== this.params.length) throw new Error(`${type}: a parameter appears twice`);
    this.params.forEach((p, i) => {
      if (!p.isLeaf || !p.requiresGrad)
        throw new Error(`${type}: parameter ${i} ${formatShape(p.shape)} must be a leaf that requires grad`);
    });
  }

  /** Applies one update to every parameter that has a gradient (parameters without one are skipped). */
  step(): void {
    let index = -1;
    for (const group of this.groups) {
      for (const p of group.params) {
        index++;
        if (p.grad === null) continue;
        if (p.grad.dtype !== p.dtype || p.grad.size !== p.size) {
          throw new Error(
            `${this.type}: the gradient ${p.grad.dtype} ${formatShape(p.grad.shape)} does not match its parameter ${p.dtype} ${formatShape(p.shape)}`,
          );
        }
        this.update(p, index, group.weightDecay);
      }
    }
  }

  protected abstract update(p: Tensor, index: number, weightDecay: number): void;

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /**
   * The buffer `name` for parameter `index` (in the parameter's dtype), created with zeros on first use: the
   * parameter's size, or one value for a step count.
   */
  protected buffer(name: string, index: number): TypedArray {
    const key = `${name}.${index}`;
    let b = this.buffers.get(key);
    if (!b) {
      const p = this.params[index]!;
      b = zeros([name === 'step' ? 1 : p.size], { dtype: p.dtype }).data;
      this.buffers.set(key, b);
    }
    return b;
  }

  protected hasBuffer(name: string, index: number): boolean {
    return this.buffers.has(`${name}.${index}`);
  }

  /** A copy of the state: buffers as tensors shaped like their parameters. */
  getState(): OptimizerState {
    const buffers: Record<string, Tensor> = {};
    for (const [key, data] of this.buffers) {
      const shape = key.startsWith('step.') ? [1] : this.params[Number(key.slice(key.lastIndexOf('.') + 1))]!.shape;
      buffers[key] = new Tensor(data.slice(), shape);
    }
    return { type: this.type, lr: this.lr, buffers };
  }

  /** Every reason `state` cannot be restored into this optimiser (empty when it can). */
  stateProblems(state: OptimizerState): string[] {
    const problems: string[] = [];
    if (state.type !== this.type) problems.push(`the state is for '${state.type}', not '${this.type}'`);
    if (!(Number.isFinite(state.lr) && state.lr >= 0)) problems.push(`lr ${state.lr} is not a finite number >= 0`);
    // A parameter the optimiser has stepped has every one of its buffers (they are made together on its first
    // step), so a state holding some of them for a parameter but not all is damaged, not merely older.
    const present = new Map<number, Set<string>>();
    for (const [key, t] of Object.entries(state.buffers)) {
      const match = /^([a-z_]+)\.(0|[1-9]\d*)$/.exec(key);
      const p = match ? this.params[Number(match[2])] : undefined;
      if (!match || !p || !this.bufferNames().includes(match[1]!)) {
        problems.push(`unexpected buffer '${key}'`);
        continue;
      }
      const index = Number(match[2]);
      present.set(index, (present.get(index) ?? new Set()).add(match[1]!));
      const size = match[1] === 'step' ? 1 : p.size;
      if (t.size !== size || t.dtype !== p.dtype) {
        problems.push(`buffer '${key}' is ${t.dtype} ${formatShape(t.shape)}, expected ${p.dtype} with ${size} values`);
        continue;
      }
      const bad = Array.from(t.data).findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) problems.push(`buffer '${key}' holds ${t.data[bad]} at index ${bad}`);
      else if (match[1] === 'step' && !(Number.isSafeInteger(t.data[0]) && t.data[0]! >= 0))
        problems.push(`buffer '${key}': the step count must be an integer >= 0, got ${t.data[0]}`);
    }
    for (const [index, names] of present) {
      for (const name of this.bufferNames())
        if (!names.has(name))
          problems.push(`buffer '${name}.${index}' is missing (the state has ${[...names].map((n) => `'${n}.${index}'`).join(', ')})`);
    }
    return problems;
  }

  /** Restores a state from `getState`; everything is validated first, and a bad state changes nothing. */
  setState(state: OptimizerState): void {
    const problems = this.stateProblems(state);
    if (problems.length > 0) throw new Error(`${this.type}.setState: ${problems.join('; ')}`);
    this.buffers.clear();
    for (const [key, t] of Object.entries(state.buffers)) this.buffers.set(key, t.data.slice());
    this.lr = state.lr;
  }

  protected abstract bufferNames(): readonly string[];
}

function checkNumber(type: string, name: string, value: number, min: number, maxExclusive = Infinity): void {
  if (!(value >= min && value < maxExclusive) || !Number.isFinite(value)) {
    throw new Error(`${type}: ${name} must be a finite number in [${min}, ${maxExclusive}), got ${value}`);
  }
}

export interface AdamWOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter), as torch.optim.AdamW: decoupled weight decay p <- p (1 - lr wd), then
 *   m <- m + (1 - b1)(g - m),  v <- b2 v + (1 - b2) g^2,
 *   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
 * with t counted per parameter. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0.01.
 * With weightDecay 0 it is Adam.
 */
export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: AdamWOptions = {}) {
    super('AdamW', params, options.lr ?? 1e-3, options.weightDecay ?? 0.01);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    checkNumber('AdamW', 'beta1', this.beta1, 0, 1);
    checkNumber('AdamW', 'beta2', this.beta2, 0, 1);
    checkNumber('AdamW', 'eps', this.eps, 0);
  }

  protected bufferNames(): readonly string[] {
    return ['step', 'exp_avg', 'exp_avg_sq'];
  }

  protected update(p: Tensor, index: number, weightDecay: number): void {
    const { lr, beta1, beta2, eps } = this;
    const stepBuf = this.buffer('step', index);
    const t = (stepBuf[0] = stepBuf[0]! + 1);
    const m = this.buffer('exp_avg', index);
    const v = this.buffer('exp_avg_sq', index);
    const g = p.grad!.data;
    const x = p.data;
    const decay = 1 - lr * weightDecay;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    // A backend with an AdamW kernel (wasm, float32) updates x, m and v itself, in float32 arithmetic.
    const kernels = optimizerKernels(getBackend());
    if (kernels?.adamwUpdate(x, g, m, v, { decay, beta1, beta2, stepSize, bc2Sqrt, eps })) return;
    // Decoupled decay first, as its own pass (the same values as decaying inside the update loop).
    if (weightDecay !== 0) for (let i = 0; i < x.length; i++) x[i] = x[i]! * decay;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i]!;
      m[i] = m[i]! + (1 - beta1) * (gi - m[i]!);
      v[i] = v[i]! * beta2 + (1 - beta2) * gi * gi;
      x[i] = x[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + eps);
    }
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum, as torch.optim.SGD: d = g + wd p; the buffer starts as d on the first step and then
 * b <- momentum b + (1 - dampening) d; the step direction is b (or d + momentum b with Nesterov); p <- p - lr d.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: SGDOptions) {
    super('SGD', params, options.lr, options.weightDecay ?? 0);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    checkNumber('SGD', 'momentum', this.momentum, 0);
    checkNumber('SGD', 'dampening', this.dampening, 0);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected bufferNames(): readonly string[] {
    return ['momentum_buffer'];
  }

  protected update(p: Tensor, index: number, weightDecay: number): void {
    const { lr, momentum, dampening, nesterov } = this;
    const g = p.grad!.data;
    const x = p.data;
    const first = !this.hasBuffer('momentum_buffer', index);
    const buf = momentum !== 0 ? this.buffer('momentum_buffer', index) : null;
    for (let i = 0; i < x.length; i++) {
      let d = g[i]! + weightDecay * x[i]!;
      if (buf) {
        buf[i] = first ? d : momentum * buf[i]! + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      }
      x[i] = x[i]! - lr * d;
    }
  }
}

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_,
 * coefficient maxNorm / (norm + 1e-6)); returns the norm before clipping, computed in float64. Gradients are
 * replaced by scaled copies, never scaled in place: the engine may hand one gradient array to several leaves.
 * A non-finite norm is returned as is and the gradients are left alone, so the caller can skip the step.
 */
export function clipGradNorm(params: readonly Tensor[] | Module, maxNorm: number): number {
  const list = Array.isArray(params) ? (params as readonly Tensor[]) : (params as Module).parameters();
  let sq = 0;
  for (const p of list) {
    if (!p.grad) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1 && Number.isFinite(norm)) {
    for (const p of list) {
      if (!p.grad) continue;
      // A loop into a fresh array (typed-array map calls a closure per element: 3x slower on small-gpt).
      const g = p.grad.data;
      const scaled = g instanceof Float64Array ? new Float64Array(g.length) : new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) scaled[i] = g[i]! * coef;
      p.grad = new Tensor(scaled, p.grad.shape);
    }
  }
  return norm;
}

/**
 * nanoGPT's split of a model's parameters: matrices (>= 2 dims: linear and embedding weights) get weight
 * decay; vectors (biases, LayerNorm) do not.
 */
export function weightDecayGroups(model: Module, weightDecay: number): ParamGroup[] {
  const params = model.parameters();
  return [
    { params: params.filter((p) => p.ndim >= 2), weightDecay },
    { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
  ];
}
