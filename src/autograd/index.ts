/**
 * The engine for the project's own modules: the public API (public.ts) and what the other layers use beyond it:
 * every op module's exports (rule tables included) and the shared backend singletons.
 */
export * from './public.js';
export * from './ops/index.js';
export { cpuBackend, cpuReferenceBackend, sharedGpujsBackend } from './backend/index.js';
export { sharedWasmBackend } from './backend/wasm/backend.js';
