import { fromValues } from '../dtype.js';
import { Tensor } from '../tensor.js';

/** A tensor argument, or a plain number that takes the dtype of the tensor it is combined with. */
export type TensorLike = Tensor | number;

/** Lifts numbers to 0-d constants of the first tensor operand's dtype. */
export function lift(values: readonly TensorLike[], op: string): Tensor[] {
  const ref = values.find((v): v is Tensor => v instanceof Tensor);
  if (!ref) throw new Error(`${op}: at least one argument must be a Tensor`);
  return values.map((v) => (v instanceof Tensor ? v : new Tensor(fromValues(ref.dtype, [v]), [])));
}
