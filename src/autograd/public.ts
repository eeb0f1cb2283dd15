/**
 * The engine's public API, named one by one (the package root re-exports it): tensors and their creation, the
 * ops, gradients, gradient checks and backends. Rule tables, backend internals and shared backend singletons
 * stay internal (src/autograd/index.ts serves the project's own modules). The fused kernels are the `fast`
 * namespace: the same functions as their plain names (property tests in test/autograd/fused.test.ts show they
 * agree), computed in one pass; the plain names are the composites, built from primitives.
 */
export { Tensor, isTensor, type NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { formatShape, sizeOf, broadcastShapes, type Shape } from './shape.js';
export {
  tensor,
  scalar,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  arange,
  rand,
  randn,
  astype,
  getDefaultDType,
  setDefaultDType,
  type CreateOptions,
  type RandomOptions,
} from './creation.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export {
  backward,
  grad,
  noGrad,
  withGradMode,
  isGradEnabled,
  zeroGrad,
  apply,
  type Rule,
  type GradOptions,
  type BackwardOptions,
} from './engine.js';
export {
  neg,
  exp,
  log,
  sqrt,
  abs,
  tanh,
  relu,
  log1p,
  reciprocal,
  sign,
  step,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  gt,
  ge,
  lt,
  le,
  eq,
  ne,
  where,
  cast,
  leakyRelu,
  square,
} from './ops/elementwise.js';
export { sum, mean, max, min, variance } from './ops/reduce.js';
export {
  reshape,
  permute,
  transpose,
  expand,
  expandAs,
  unsqueeze,
  squeeze,
  flatten,
  slice,
  narrow,
  pad,
  concat,
  stack,
  type SliceRange,
} from './ops/shape.js';
export { matmul, matmulT } from './ops/matmul.js';
export { indexSelect, embedding, gather, scatterAdd, oneHot, argmax, type Indices } from './ops/indexing.js';
export {
  softplus,
  logsigmoid,
  sigmoid,
  logsumexp,
  logSoftmax,
  softmax,
  gelu,
  layerNorm,
  crossEntropy,
  dropout,
  mseLoss,
  type CrossEntropyOptions,
  type DropoutOptions,
} from './ops/composite.js';
export type { TensorLike } from './ops/util.js';
export * as fast from './ops/fast.js';
export {
  gradcheck,
  gradgradcheck,
  gradcheckReport,
  gradgradcheckReport,
  describeReport,
  GradcheckError,
  type GradcheckOptions,
  type GradcheckReport,
  type GradcheckMismatch,
} from './gradcheck.js';
// Importing the backend index registers the gpujs backend, and the wasm backend registers itself, so
// setBackend('gpujs') and setBackend('wasm') work from the package root.
export {
  setBackend,
  getBackend,
  useBackend,
  withBackend,
  registerBackend,
  createGpujsBackend,
  gpujsInfo,
  type Backend,
  type BackendName,
  type GpujsBackend,
  type GpujsInfo,
  type GpujsMode,
} from './backend/index.js';
export { createWasmBackend, type WasmBackend, type WasmInfo } from './backend/wasm/backend.js';
