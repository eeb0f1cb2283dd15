/**
 * Our engine's backends as the bench names them: `cpu` (the readable reference), `gpujs` (the shared backend
 * `setBackend('gpujs')` selects: helper threads on every core, or SELM_GPUJS_THREADS) and `gpujs-1t` (a gpujs
 * backend of its own held to the calling thread, for the single-threaded figures issue 6 asks for beside the
 * threaded ones, in the same run); `wasm` and `wasm-1t` likewise for the generated WebAssembly SIMD kernels.
 */
import {
  cpuBackend,
  createGpujsBackend,
  createWasmBackend,
  sharedGpujsBackend,
  sharedWasmBackend,
  withBackend,
  type Backend,
  type GpujsBackend,
  type GpujsInfo,
  type WasmBackend,
  type WasmInfo,
} from '../src/autograd/index.js';
import type { OurBackend } from './args.js';

let singleThreaded: GpujsBackend | null = null;
let wasmSingleThreaded: WasmBackend | null = null;

export function ourBackend(name: OurBackend): Backend {
  switch (name) {
    case 'cpu':
      return cpuBackend;
    case 'gpujs':
      return sharedGpujsBackend();
    case 'gpujs-1t':
      singleThreaded ??= createGpujsBackend({ threads: 1 });
      return singleThreaded;
    case 'wasm':
      usedShared = true;
      return sharedWasmBackend();
    case 'wasm-1t':
      wasmSingleThreaded ??= createWasmBackend({ threads: 1 });
      return wasmSingleThreaded;
  }
}

/** The single-threaded gpujs backend's counters (threads, kernel runs, modes), or null when no case used it. */
export function singleThreadedInfo(): GpujsInfo | null {
  return singleThreaded?.info() ?? null;
}

/** The wasm backends' counters (threads, calls in WebAssembly, helper chunks), null for one no case used. */
export function wasmInfo(): { wasm: WasmInfo | null; 'wasm-1t': WasmInfo | null } {
  return { wasm: usedShared ? sharedWasmBackend().info() : null, 'wasm-1t': wasmSingleThreaded?.info() ?? null };
}
let usedShared = false;

/** Runs `fn` with one of our backends active, restoring the previous backend afterwards. */
export function onBackend<T>(name: OurBackend, fn: () => T): T {
  return withBackend(ourBackend(name), fn);
}
