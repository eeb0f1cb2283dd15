import type { Backend, BackendName } from './backend.js';
import { cpuBackend } from './cpu.js';

export type { Backend, BackendName, BinaryOp, MatmulArgs, ReduceOp, UnaryOp } from './backend.js';
export { cpuBackend } from './cpu.js';

const registry = new Map<BackendName, () => Backend>([['cpu', () => cpuBackend]]);
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

/** Runs `fn` with `name` as the active backend, restoring the previous one afterwards. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const previous = active;
  setBackend(name);
  try {
    return fn();
  } finally {
    active = previous;
  }
}
