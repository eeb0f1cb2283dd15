import { fromValues } from '../dtype.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import type { Indices } from './indexing.js';

/** A tensor argument, or a plain number that takes the dtype of the tensor it is combined with. */
export type TensorLike = Tensor | number;

/**
 * Runs a composite's body so that an error raised by one of its parts names the composite first:
 * `mseLoss: sub: cannot broadcast [2,3] with [4]` rather than a bare `sub: ...` the caller never called.
 * The original error is kept as the cause.
 */
export function within<T>(op: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith(`${op}:`)) throw error;
    throw new Error(`${op}: ${message}`, { cause: error });
  }
}

/**
 * Layer norm's affine weight and bias must have the normalised shape (the last `normalizedDims` dims of x),
 * as in PyTorch: a weight that merely broadcasts (a [1], or one with leading dims) would silently change
 * which elements share a scale, or the output's shape.
 */
export function checkLayerNormAffine(
  op: string,
  x: Tensor,
  normalizedDims: number,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
): void {
  const normalized = x.shape.slice(x.ndim - normalizedDims);
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== normalized.length || t.shape.some((d, i) => d !== normalized[i]))) {
      throw new Error(
        `${op}: ${name} of shape ${formatShape(t.shape)} does not match the normalised shape ${formatShape(normalized)} of input ${formatShape(x.shape)}`,
      );
    }
  }
}

/** Lifts numbers to 0-d constants of the first tensor operand's dtype. */
export function lift(values: readonly TensorLike[], op: string): Tensor[] {
  const ref = values.find((v): v is Tensor => v instanceof Tensor);
  if (!ref) throw new Error(`${op}: at least one argument must be a Tensor`);
  return values.map((v) => (v instanceof Tensor ? v : new Tensor(fromValues(ref.dtype, [v]), [])));
}

/**
 * Validates class targets for logits [..., C]: one integer in [0, C) per row, or `ignoreIndex`. Returns the
 * rows' shape, the targets with ignored rows as -1, and how many rows are kept (the 'mean' denominator).
 */
export function crossEntropyTargets(
  logits: Tensor,
  targets: Indices,
  ignoreIndex: number | undefined,
): { batchShape: number[]; index: Int32Array; kept: number } {
  const classes = logits.shape[logits.ndim - 1];
  if (classes === undefined) throw new Error('crossEntropy: logits must have a class dimension');
  const values = targets instanceof Tensor ? targets.data : targets;
  const batchShape = logits.shape.slice(0, -1);
  const rows = batchShape.reduce((n, d) => n * d, 1);
  if (values.length !== rows) {
    throw new Error(`crossEntropy: ${values.length} targets for logits of shape ${formatShape(logits.shape)} (expected ${rows})`);
  }
  const index = new Int32Array(rows);
  let kept = 0;
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (ignoreIndex !== undefined && v === ignoreIndex) {
      index[i] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new Error(`crossEntropy: target ${v} at position ${i} is out of range for ${classes} classes`);
    }
    index[i] = v;
    kept++;
  }
  return { batchShape, index, kept };
}
