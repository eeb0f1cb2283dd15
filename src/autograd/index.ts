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
export { backward, grad, noGrad, withGradMode, isGradEnabled, zeroGrad, apply, type Rule, type GradOptions, type BackwardOptions } from './engine.js';
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
export { setBackend, getBackend, useBackend, withBackend, registerBackend, cpuBackend, type Backend, type BackendName } from './backend/index.js';
// Importing the gpujs backend registers it, so setBackend('gpujs') works from the package root.
export { createGpujsBackend, gpujsInfo, sharedGpujsBackend, type GpujsBackend, type GpujsInfo, type GpujsMode } from './backend/gpujs.js';
export { createWasmBackend, sharedWasmBackend, type WasmBackend, type WasmInfo } from './backend/wasm/backend.js';
