/**
 * Our engine's backends as the bench names them: `cpu` (the readable reference), `gpujs` (the shared backend
 * `setBackend('gpujs')` selects: helper threads on every core, or SELM_GPUJS_THREADS) and `gpujs-1t` (a gpujs
 * backend of its own held to the calling thread, for the single-threaded figures issue 6 asks for beside the
 * threaded ones, in the same run).
 */
import { cpuBackend, createGpujsBackend, sharedGpujsBackend, withBackend, type Backend, type GpujsBackend, type GpujsInfo } from '../src/autograd/index.js';
import type { OurBackend } from './args.js';

let singleThreaded: GpujsBackend | null = null;

export function ourBackend(name: OurBackend): Backend {
  switch (name) {
    case 'cpu':
      return cpuBackend;
    case 'gpujs':
      return sharedGpujsBackend();
    case 'gpujs-1t':
      singleThreaded ??= createGpujsBackend({ threads: 1 });
      return singleThreaded;
  }
}

/** The single-threaded gpujs backend's counters (threads, kernel runs, modes), or null when no case used it. */
export function singleThreadedInfo(): GpujsInfo | null {
  return singleThreaded?.info() ?? null;
}

/** Runs `fn` with one of our backends active, restoring the previous backend afterwards. */
export function onBackend<T>(name: OurBackend, fn: () => T): T {
  return withBackend(ourBackend(name), fn);
}
