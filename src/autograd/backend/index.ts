/**
 * The backends, from one place: the Backend contract, the registry (select, use, restore), the cpu backends
 * (tuned `cpuBackend`, the default, and `cpuReferenceBackend`, the oracle) and the gpujs backend. Importing
 * this module registers 'gpujs' (and so loads gpu.js); the ops import registry.ts instead.
 */
export type { Backend, BackendName, BinaryOp, MatmulArgs, ReduceOp, RowMask, UnaryOp } from './backend.js';
export { getBackend, registerBackend, setBackend, useBackend, withBackend } from './registry.js';
export { cpuReferenceBackend } from './cpu/reference.js';
export { cpuBackend } from './cpu/tuned.js';
export {
  createGpujsBackend,
  DEFAULT_ROUTING,
  DEFAULT_THREADING,
  gpujsInfo,
  sharedGpujsBackend,
  threadsFromEnv,
  type GpujsBackend,
  type GpujsBackendOptions,
  type GpujsInfo,
  type GpujsMode,
  type GpujsRouting,
  type GpujsThreading,
} from './gpujs/index.js';
