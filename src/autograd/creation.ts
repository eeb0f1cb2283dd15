/** Tensor factories. Random factories draw from an explicit generator or the global seeded one. */
import { getBackend } from './backend/registry.js';
import { allocate, fromValues, isDType, type DType, type TypedArray } from './dtype.js';
import { defaultGenerator, type Generator } from './random.js';
import { assertValidShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

let defaultDType: DType = 'float32';

/** The dtype factories use when none is given (float32, as in PyTorch). */
export function getDefaultDType(): DType {
  return defaultDType;
}

export function setDefaultDType(dtype: DType): void {
  if (!isDType(dtype)) throw new Error(`setDefaultDType: unknown dtype '${String(dtype)}'`);
  defaultDType = dtype;
}

function make(data: TypedArray, shape: Shape, options: CreateOptions): Tensor {
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function flatten(values: NestedArray, shape: readonly number[], axis: number, out: number[]): void {
  if (axis === shape.length) {
    if (typeof values !== 'number') throw new Error(`tensor: ragged nested array (expected a number at depth ${axis})`);
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[axis]) {
    throw new Error(`tensor: ragged nested array (expected length ${shape[axis]} at depth ${axis}, inferred shape ${formatShape(shape)})`);
  }
  for (const v of values) flatten(v, shape, axis + 1, out);
}

/**
 * A tensor from nested arrays, a number, or a flat typed/plain array with an explicit `shape`.
 * A typed array is copied and keeps its dtype unless `dtype` says otherwise.
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], options: CreateOptions & { shape?: Shape } = {}): Tensor {
  if (values instanceof Float64Array || values instanceof Float32Array) {
    const dtype = options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
    const shape = options.shape ?? [values.length];
    assertValidShape(shape, 'tensor');
    return make(fromValues(dtype, values), shape, options);
  }
  const dtype = options.dtype ?? defaultDType;
  if (options.shape) {
    assertValidShape(options.shape, 'tensor');
    const flat: number[] = [];
    const shape = inferShape(values as NestedArray);
    flatten(values as NestedArray, shape, 0, flat);
    if (flat.length !== sizeOf(options.shape)) {
      throw new Error(`tensor: ${flat.length} values cannot have shape ${formatShape(options.shape)}`);
    }
    return make(fromValues(dtype, flat), options.shape, options);
  }
  const shape = inferShape(values as NestedArray);
  const flat: number[] = [];
  flatten(values as NestedArray, shape, 0, flat);
  return make(fromValues(dtype, flat), shape, options);
}

/** A 0-d tensor holding one number. */
export function scalar(value: number, options: CreateOptions = {}): Tensor {
  return make(fromValues(options.dtype ?? defaultDType, [value]), [], options);
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  assertValidShape(shape, 'full');
  const data = allocate(options.dtype ?? defaultDType, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return make(data, shape, options);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

/** Values start, start+step, ... below stop (NumPy's arange). `arange(n)` is 0..n-1. */
export function arange(start: number, stop?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((to - from) / step));
  const data = allocate(options.dtype ?? defaultDType, n);
  for (let i = 0; i < n; i++) data[i] = from + i * step;
  return make(data, [n], options);
}

/** Uniform values in [low, high) (default [0, 1)). */
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  assertValidShape(shape, 'rand');
  const gen = options.generator ?? defaultGenerator();
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const data = allocate(options.dtype ?? defaultDType, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.uniform(low, high);
  return make(data, shape, options);
}

/** Normal values with the given mean and standard deviation (default standard normal). */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  assertValidShape(shape, 'randn');
  const gen = options.generator ?? defaultGenerator();
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const data = allocate(options.dtype ?? defaultDType, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal(mean, std);
  return make(data, shape, options);
}

/** A copy of `t` in another dtype. Not recorded in the graph: use `cast` from ops for a differentiable cast. */
export function astype(t: Tensor, dtype: DType): Tensor {
  return new Tensor(getBackend().cast(t.data, dtype), t.shape, false);
}
