/**
 * Which backend runs the kernels: a registry of backends by name and the active one. The ops read it through
 * `getBackend()` on every call. Kept apart from the package's backend index (index.ts) so that the ops do
 * not load gpu.js by importing it.
 */
import type { Backend, BackendName } from './backend.js';
import { cpuReferenceBackend } from './cpu/reference.js';
import { cpuBackend } from './cpu/tuned.js';

const registry = new Map<BackendName, () => Backend>([
  ['cpu', () => cpuBackend],
  ['cpu-reference', () => cpuReferenceBackend],
]);
let active: Backend = cpuBackend;

/** Registers a backend factory (the gpujs backend registers itself when its module is imported). */
export function registerBackend(name: BackendName, factory: () => Backend): void {
  registry.set(name, factory);
}

/** Selects the backend that runs every kernel from now on. */
export function setBackend(name: BackendName): Backend {
  const factory = registry.get(name);
  if (!factory) {
    throw new Error(`setBackend: unknown backend '${name}' (registered: ${[...registry.keys()].join(', ')})`);
  }
  active = factory();
  return active;
}

export function getBackend(): Backend {
  return active;
}

/**
 * Makes a backend object active, one made with its own options (`createGpujsBackend({ threads: 1 })`, say)
 * rather than the shared one `setBackend` selects by name. Returns the backend it replaces, to restore later.
 */
export function useBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}

/** Runs `fn` with a backend (by name, or an object) active, restoring the previous one afterwards. */
export function withBackend<T>(backend: BackendName | Backend, fn: () => T): T {
  const previous = active;
  if (typeof backend === 'string') setBackend(backend);
  else active = backend;
  try {
    return fn();
  } finally {
    active = previous;
  }
}
