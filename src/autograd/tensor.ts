import { dtypeOf, type DType, type TypedArray } from './dtype.js';
import { backward, type BackwardOptions, type GradNode } from './engine.js';
import { formatShape, sizeOf, type Shape } from './shape.js';

/** Nested JavaScript arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

let nextId = 0;

/**
 * A dense tensor: one contiguous row-major typed array, a shape, and the autograd bookkeeping.
 *
 * `data` may be written in place only for leaves outside a recorded graph (optimisers update parameters
 * after backward). Ops never mutate their inputs.
 */
export class Tensor {
  readonly id = nextId++;
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** True when gradients flow to this tensor: set on leaves by the user, on op outputs by the engine. */
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf after `backward()`; null before. */
  grad: Tensor | null = null;
  /** The op that produced this tensor inside a recorded graph; null for leaves and for untracked results. */
  gradFn: GradNode | null = null;
  /** An optional label used in error messages and reports (parameters carry their names). */
  name: string | undefined;

  constructor(data: TypedArray, shape: Shape, requiresGrad = false) {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${n}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A leaf is a tensor not produced by a recorded op (parameters and inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
    }
    return this.data[0]!;
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return this.data[offset]!;
      const inner = sizeOf(this.shape.slice(axis + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]!; i++) out.push(build(axis + 1, offset + i * inner));
      return out;
    };
    return build(0, 0);
  }

  /** The values as a flat JavaScript array, row-major. */
  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  /** A tensor sharing this one's data, cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Sets requiresGrad on a leaf and returns it, for chaining. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) {
      throw new Error('requiresGrad_: can only change requiresGrad on leaf tensors; use detach() to cut a graph');
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Accumulates d(this)/d(leaf) into every leaf's `.grad`; see `backward` in engine.ts. */
  backward(gradOutput?: Tensor, options?: BackwardOptions): void {
    backward(this, gradOutput, options);
  }

  toString(): string {
    const values = this.size <= 16 ? JSON.stringify(this.toArray()) : `${this.size} values`;
    const fn = this.gradFn ? `, gradFn=${this.gradFn.rule.name}` : this.requiresGrad ? ', requiresGrad' : '';
    return `Tensor(${values}, shape=${formatShape(this.shape)}, dtype=${this.dtype}${fn})`;
  }
}

export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

export type { TypedArray };
