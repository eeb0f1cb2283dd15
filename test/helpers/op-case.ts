/**
 * The shape of one op's test case (tinygrad's helper_test_op, as data): an arbitrary of samples, each holding
 * plain input data, the op applied to tensors, and a float64 reference of the op written in the test; plus
 * per-op tolerances. Builders for the common forms (unary, binary with broadcasting) keep a case to one line.
 */
import fc from 'fast-check';
import type { GradcheckOptions, Tensor, TensorLike } from '../../src/autograd/index.js';
import type { AllcloseOptions } from './allclose.js';
import { broadcastPairArb, shapeArb, spec, valueArb, type ShapeOptions, type TensorSpec } from './generators.js';
import { map, ref, zip, type Ref } from './reference.js';

export class OpSample {
  constructor(
    readonly label: string,
    /** The tensor inputs, as data; constants (indices, masks, exponents) live in fn's closure. */
    readonly inputs: readonly TensorSpec[],
    /** The op under test. */
    readonly fn: (...xs: Tensor[]) => Tensor,
    /** The same op on float64 reference arrays. */
    readonly reference: (...xs: Ref[]) => Ref,
  ) {}

  refs(): Ref[] {
    return this.inputs.map((s) => ref(s.shape, s.values));
  }

  [fc.toStringMethod](): string {
    const show = (s: TensorSpec): string => `${s.requiresGrad ? 'x' : 'c'}[${s.shape.join(',')}]=${JSON.stringify(s.values)}`;
    return `${this.label}(${this.inputs.map(show).join(', ')})`;
  }
}

export interface OpCase {
  /** False for piecewise-constant ops (sign, step, comparisons): their outputs never require grad. */
  differentiable: boolean;
  sample: fc.Arbitrary<OpSample>;
  /** Forward tolerance against the reference (default atol 1e-12, rtol 1e-10). */
  values?: AllcloseOptions;
  /** Overrides for gradcheck / gradgradcheck (default PyTorch's: eps 1e-6, atol 1e-5, rtol 1e-3). */
  gradcheck?: GradcheckOptions;
}

export type Values = fc.Arbitrary<number>;

export function specArb(shape: readonly number[], values: Values = valueArb(), requiresGrad = true): fc.Arbitrary<TensorSpec> {
  const n = shape.reduce((a, d) => a * d, 1);
  return fc.array(values, { minLength: n, maxLength: n }).map((v) => spec(shape, v, requiresGrad));
}

export function unary(
  label: string,
  fn: (x: Tensor) => Tensor,
  f: (v: number) => number,
  values: Values = valueArb(),
  shapes: ShapeOptions = {},
): OpCase {
  return {
    differentiable: true,
    sample: shapeArb(shapes)
      .chain((s) => specArb(s, values))
      .map(
        (x) =>
          new OpSample(
            label,
            [x],
            (t) => fn(t),
            (r) => map(r, f),
          ),
      ),
  };
}

/** Which of two operands require grad: both, or one of them (the other a constant tensor). */
const gradFlags = fc.constantFrom<[boolean, boolean]>([true, true], [true, true], [true, false], [false, true]);

/**
 * A broadcasting binary op: two tensors of broadcastable shapes (either may be the constant), or a tensor and
 * a plain number on either side (numbers lift to 0-d constants).
 */
export function binary(
  label: string,
  fn: (a: TensorLike, b: TensorLike) => Tensor,
  f: (a: number, b: number) => number,
  va: Values = valueArb(),
  vb: Values = va,
): OpCase {
  const pair = fc
    .tuple(broadcastPairArb(), gradFlags)
    .chain(([[sa, sb], [ga, gb]]) => fc.tuple(specArb(sa, va, ga), specArb(sb, vb, gb)))
    .map(
      ([a, b]) =>
        new OpSample(
          label,
          [a, b],
          (x, y) => fn(x, y),
          (x, y) => zip([x, y], f),
        ),
    );
  const numberRight = fc
    .tuple(
      shapeArb().chain((s) => specArb(s, va)),
      vb,
    )
    .map(
      ([a, c]) =>
        new OpSample(
          `${label}(_, ${c})`,
          [a],
          (x) => fn(x, c),
          (x) => map(x, (v) => f(v, c)),
        ),
    );
  const numberLeft = fc
    .tuple(
      va,
      shapeArb().chain((s) => specArb(s, vb)),
    )
    .map(
      ([c, b]) =>
        new OpSample(
          `${label}(${c}, _)`,
          [b],
          (y) => fn(c, y),
          (y) => map(y, (v) => f(c, v)),
        ),
    );
  return { differentiable: true, sample: fc.oneof({ arbitrary: pair, weight: 3 }, numberRight, numberLeft) };
}

/** The same case, marked as having no gradient. */
export function noGradient(c: OpCase): OpCase {
  return { ...c, differentiable: false };
}
