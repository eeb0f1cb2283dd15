import type { DType, TypedArray } from '../dtype.js';
import type { Shape } from '../shape.js';

/** Elementwise unary kernels. Each maps x -> f(x) with the same dtype. */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'abs' | 'tanh' | 'relu' | 'sign' | 'reciprocal' | 'step';

/** Elementwise binary kernels with NumPy broadcasting. Comparisons return 1 or 0 in the output dtype. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * The kernels a backend provides: every computation on tensor data that an op's forward needs (the op files
 * keep only the rule: which kernel to call, and the backward). Every kernel takes contiguous row-major typed
 * arrays and returns a new array of the same dtype as its (first) input, `cast` excepted; no kernel mutates
 * its inputs. `cpuReferenceBackend` (cpu/reference.ts) is the oracle: the tuned `cpu` backend and `gpujs`
 * must agree with it (backend-reference and backend-parity tests).
 */
export interface Backend {
  readonly name: BackendName;
  unary(op: UnaryOp, x: TypedArray): TypedArray;
  binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape): TypedArray;
  /** Reduces sorted, distinct `axes`; the result has the keepdim shape's size. */
  reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray;
  /**
   * Batched matrix product of a [..., m, k] (or [..., k, m] when transA) and b [..., k, n] (or [..., n, k] when
   * transB); batch dimensions are already broadcast to `batchShape` by the caller's stride logic: aBatch and
   * bBatch are the operands' batch shapes, which broadcast to batchShape.
   */
  matmul(args: MatmulArgs): TypedArray;
  permute(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray;
  /**
   * Softmax over the last axis of a [rows, cols] array, max-subtracted. With a mask, entries whose mask value
   * is 0 take the mask's fill value first (softmax of where(mask, x, fill)).
   */
  softmaxRows(x: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray;
  /** log-sum-exp over the last axis of a [rows, cols] array, max-subtracted; returns rows values. */
  logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray;
  /**
   * Gathers along `axis`: x viewed as [outer, dim, inner]; indices (integers stored as floats) viewed as
   * [outer, count, inner] when `elementwise`, else a flat list of `count` indices shared by every outer/inner
   * (index_select). Returns [outer, count, inner].
   */
  gather(
    x: TypedArray,
    outer: number,
    dim: number,
    inner: number,
    indices: ArrayLike<number>,
    count: number,
    elementwise: boolean,
  ): TypedArray;
  /** The adjoint of gather: adds src [outer, count, inner] into a zero [outer, dim, inner] array. */
  scatterAdd(
    src: TypedArray,
    outer: number,
    dim: number,
    inner: number,
    indices: ArrayLike<number>,
    count: number,
    elementwise: boolean,
  ): TypedArray;

  // Data movement and selection (ops/shape.ts, ops/elementwise.ts, ops/indexing.ts, creation.ts).
  /** x of `shape` broadcast to `outShape` (NumPy rules; the caller has checked they broadcast). */
  expand(x: TypedArray, shape: Shape, outShape: Shape): TypedArray;
  /** The box [starts, starts + outShape) of x of `shape`, as a dense array of `outShape`. */
  slice(x: TypedArray, shape: Shape, starts: readonly number[], outShape: Shape): TypedArray;
  /** The adjoint of slice: x of `shape` placed at `starts` in zeros of `outShape`. */
  pad(x: TypedArray, shape: Shape, starts: readonly number[], outShape: Shape): TypedArray;
  /** The arrays joined along `axis` (all other dimensions equal); outShape is the joined shape. */
  concat(xs: readonly TypedArray[], shapes: readonly Shape[], axis: number, outShape: Shape): TypedArray;
  /** Three-way broadcast `c != 0 ? a : b` into `outShape`; c is in a's dtype (0/1 values, usually). */
  where(c: TypedArray, cShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape): TypedArray;
  /** A copy of x in `dtype` (float64 -> float32 rounds to nearest). */
  cast(x: TypedArray, dtype: DType): TypedArray;
  /** Index of the maximum along the middle axis of x viewed as [outer, dim, inner] (first on ties), as floats. */
  argmax(x: TypedArray, outer: number, dim: number, inner: number): TypedArray;

  // Fused kernels (ops/fused.ts): one pass each where the composed ops take several; row ops are on the last
  // axis of a [rows, cols] array. The reference versions (cpu/reference-rows.ts) state their formulas.
  /** GELU, tanh form, elementwise. */
  gelu(x: TypedArray): TypedArray;
  /** g * gelu'(x), elementwise. */
  geluGrad(x: TypedArray, g: TypedArray): TypedArray;
  /** (x - mean) / sqrt(var + eps) per row. */
  layerNormRows(x: TypedArray, rows: number, cols: number, eps: number): TypedArray;
  /** The gradient through layerNormRows for upstream g. */
  layerNormRowsGrad(x: TypedArray, g: TypedArray, rows: number, cols: number, eps: number): TypedArray;
  /** The gradient through a row softmax with output y for upstream g: y (g - sum(g y)), 0 where a mask is 0. */
  softmaxRowsGrad(y: TypedArray, g: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray;
  /** Per-row cross-entropy -log softmax(x)[t]; rows with a negative target give 0. Returns rows values. */
  crossEntropyRows(x: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray;
  /** (softmax(x) - onehot(t)) * g[row], 0 on rows with a negative target. */
  crossEntropyRowsGrad(x: TypedArray, g: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray;
}

/** The scalars of one AdamW update of one parameter (src/nn AdamW.update computes them per step). */
export interface AdamWScalars {
  /** 1 - lr weightDecay (1 without decay). */
  decay: number;
  beta1: number;
  beta2: number;
  /** lr / (1 - beta1^t). */
  stepSize: number;
  /** sqrt(1 - beta2^t). */
  bc2Sqrt: number;
  eps: number;
}

/**
 * Kernels a backend may offer beyond the contract (the wasm backend does), found with `optimizerKernels`:
 * the contract's methods stay pure, while these update an optimiser's arrays in place.
 */
export interface OptimizerKernels {
  /**
   * One AdamW update in place: x <- x decay, m <- m + (1 - b1)(g - m), v <- b2 v + (1 - b2) g^2,
   * x <- x - stepSize m / (sqrt(v) / bc2Sqrt + eps). Returns false, touching nothing, where it does not apply
   * (arrays not all float32); the optimiser then runs its own loop.
   */
  adamwUpdate(x: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, s: AdamWScalars): boolean;
}

export function optimizerKernels(backend: Backend): OptimizerKernels | null {
  return typeof (backend as Partial<OptimizerKernels>).adamwUpdate === 'function' ? (backend as Backend & OptimizerKernels) : null;
}

/** 'cpu' is the tuned cpu backend (the default); 'cpu-reference' its plain oracle (cpu/reference.ts); 'wasm' the generated SIMD kernels. */
export type BackendName = 'cpu' | 'cpu-reference' | 'gpujs' | 'wasm';

/**
 * A constant 0/1 mask over a [rows, cols] array, possibly broadcast: element i reads values[offsets[i]]. Masked
 * entries (value 0) take `fill` before a softmax, and get no gradient.
 */
export interface RowMask {
  values: TypedArray;
  offsets: Int32Array;
  fill: number;
}

export interface MatmulArgs {
  a: TypedArray;
  b: TypedArray;
  aBatch: Shape;
  bBatch: Shape;
  batchShape: Shape;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** Added to every row of C (length n): a Linear layer's bias, fused into the product's write-out. */
  bias?: TypedArray | null;
}
