/**
 * The gpujs backend's public surface. Files of one idea each: adapter.ts (the slice of gpu.js used),
 * sources.ts (kernel source generators), unpack.ts (results into row-major arrays), cache.ts (built kernels
 * and running them), direct.ts and threads.ts (webasm kernels run through their module, on helper threads),
 * routing.ts (which calls run as kernels), backend.ts (the Backend object), singleton.ts (the shared one).
 */
export { createGpujsBackend, type GpujsBackend, type GpujsBackendOptions, type GpujsInfo } from './backend.js';
export type { GpujsMode } from './adapter.js';
export { DEFAULT_ROUTING, DEFAULT_THREADING, type GpujsRouting, type GpujsThreading } from './routing.js';
export { gpujsInfo, sharedGpujsBackend, threadsFromEnv } from './singleton.js';
export { threadsSupported } from './threads.js';
