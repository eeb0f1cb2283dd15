/**
 * A fast-check property that an op's gradients agree with central finite differences in float64, for your own
 * ops and composites: `fc.assert(gradcheckProperty((x, w) => sum(tanh(matmul(x, w))), [specA, specB]))`.
 * Inputs are built fresh from plain data for every run (a shrunk or replayed case never sees a tensor an
 * earlier run mutated). gradcheck throws a GradcheckError naming the failing element, which fast-check reports
 * with the seed and path to replay it.
 */
import fc from 'fast-check';
import { gradcheck, gradgradcheck, type GradcheckOptions, type Tensor } from '../autograd/index.js';
import { toTensor, type TensorSpec } from './arbitraries.js';

export interface GradcheckPropertyOptions extends GradcheckOptions {
  /** Also check second derivatives (gradgradcheck). */
  secondOrder?: boolean;
}

export function gradcheckProperty(
  fn: (...inputs: Tensor[]) => Tensor | Tensor[],
  inputs: readonly fc.Arbitrary<TensorSpec>[],
  options: GradcheckPropertyOptions = {},
): fc.IPropertyWithHooks<[TensorSpec[]]> {
  const { secondOrder = false, ...check } = options;
  return fc.property(fc.tuple(...inputs), (specs) => {
    gradcheck(
      fn,
      specs.map((s) => toTensor(s)),
      check,
    );
    if (secondOrder)
      gradgradcheck(
        fn,
        specs.map((s) => toTensor(s)),
        check,
      );
  });
}
