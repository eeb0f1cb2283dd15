/**
 * The shared gpujs backend that `setBackend('gpujs')` selects: created (GPU object and all) on first use, with
 * the threads SELM_GPUJS_THREADS asks for. Importing this module registers it under 'gpujs'.
 */
import { registerBackend } from '../registry.js';
import { createGpujsBackend, type GpujsBackend, type GpujsInfo } from './backend.js';

let shared: GpujsBackend | null = null;

/**
 * The thread count the environment asks for: SELM_GPUJS_THREADS, a positive integer (like OMP_NUM_THREADS for
 * native libraries), or undefined when it is unset or not one; the bench sets it to compare single-threaded.
 */
export function threadsFromEnv(env: Record<string, string | undefined> | undefined): number | undefined {
  const raw = env?.SELM_GPUJS_THREADS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** The shared backend, with the threads SELM_GPUJS_THREADS asks for (default: the available cores, at most 8). */
export function sharedGpujsBackend(): GpujsBackend {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const threads = threadsFromEnv(env);
  shared ??= createGpujsBackend(threads === undefined ? {} : { threads });
  return shared;
}

/** What the shared gpujs backend has run so far, or null if nothing has selected it yet. */
export function gpujsInfo(): GpujsInfo | null {
  return shared ? shared.info() : null;
}

registerBackend('gpujs', sharedGpujsBackend);
