/** The autograd engine's public API. */
export { Tensor, isTensor, type NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export type { Shape } from './shape.js';
export { formatShape, sizeOf, broadcastShapes } from './shape.js';
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
export * from './ops/index.js';
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
// The backend index registers the gpujs backend, so setBackend('gpujs') works from the package root.
export {
  setBackend,
  getBackend,
  useBackend,
  withBackend,
  registerBackend,
  cpuBackend,
  cpuReferenceBackend,
  createGpujsBackend,
  gpujsInfo,
  sharedGpujsBackend,
  type Backend,
  type BackendName,
  type GpujsBackend,
  type GpujsInfo,
  type GpujsMode,
} from './backend/index.js';
export { createWasmBackend, sharedWasmBackend, type WasmBackend, type WasmInfo } from './backend/wasm/backend.js';
