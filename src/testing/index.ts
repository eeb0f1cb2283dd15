/**
 * selm-ts/testing: what the project's own tests use to check ops, for your property tests too. Needs
 * fast-check (a peer dependency). Arbitraries draw shapes, broadcastable shape pairs and values on a grid (never
 * raw doubles), away from kinks where asked; `allclose` and the `toBeAllclose` matcher compare numerics with
 * NumPy's rule; `gradcheckProperty` checks an op's gradients against finite differences on random inputs.
 */
export {
  FD_EPS,
  KINK_MARGIN,
  POSITIVE,
  axesArb,
  axisArb,
  broadcastPairArb,
  broadcastResult,
  broadcastableTo,
  distinctSpecsArb,
  distinctValuesArb,
  permutationArb,
  shapeArb,
  spec,
  tensorSpecArb,
  toTensor,
  valueArb,
  valuesArb,
  type ShapeOptions,
  type TensorSpec,
  type ValueRange,
} from './arbitraries.js';
export { allclose, allcloseMatchers, type AllcloseOptions, type AllcloseResult, type MatcherResult, type Numeric } from './allclose.js';
export { gradcheckProperty, type GradcheckPropertyOptions } from './gradcheck-property.js';
