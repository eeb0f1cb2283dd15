/**
 * Which of the engine's backends runs a run's GPT (`model.backend` in a config): `cpu`, the plain TypeScript
 * kernels every recorded result of this project was made with (the default), or `wasm`, the generated
 * WebAssembly SIMD kernels (src/autograd/backend/wasm), about twice as fast on this project's GPT runs end to
 * end (bench/README.md). The config decides, not the backend active before the run: a run is reproducible from
 * its config.json alone. Both compute in float32 with different summation orders, so a run's numbers depend on the
 * backend; that is why it is part of the config (written to config.json), and why `--resume` and `selm eval`
 * use the one the run was made with. The wasm backend gives the same bits on one thread as on several, so its
 * runs do not depend on the machine's core count. The bandit worlds compute in float64, which stays on the cpu
 * kernels whatever is chosen, so only the GPT worlds take the field.
 */
import { cpuBackend, sharedWasmBackend, useBackend, type Backend } from '../autograd/index.js';

export const MODEL_BACKENDS = ['cpu', 'wasm'] as const;
export type ModelBackend = (typeof MODEL_BACKENDS)[number];

export function modelBackendProblems(value: unknown): string[] {
  return MODEL_BACKENDS.includes(value as ModelBackend)
    ? []
    : [`model.backend: must be one of ${MODEL_BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(value)}`];
}

function backendObject(name: ModelBackend): Backend {
  return name === 'wasm' ? sharedWasmBackend() : cpuBackend;
}

/**
 * Runs `fn` with the run's backend active and restores the previous one afterwards (also when `fn` throws or
 * rejects). The backend is process-wide state: nothing else may run ops in this process while `fn` awaits.
 */
export async function withModelBackend<T>(name: ModelBackend | undefined, fn: () => Promise<T>): Promise<T> {
  const previous = useBackend(backendObject(name ?? 'cpu'));
  try {
    return await fn();
  } finally {
    useBackend(previous);
  }
}

/** The synchronous form of withModelBackend. */
export function withModelBackendSync<T>(name: ModelBackend | undefined, fn: () => T): T {
  const previous = useBackend(backendObject(name ?? 'cpu'));
  try {
    return fn();
  } finally {
    useBackend(previous);
  }
}
