/**
 * "The engine on your GPU": one float32 matmul C = A B on the gpujs backend in a WebGL mode, against the cpu
 * backend (the reference). gpu.js may fail to start a mode, or quietly degrade a kernel to its own cpu mode:
 * both are reported, never hidden, through the backend's info().
 */
import { Generator, cpuBackend, createGpujsBackend, type GpujsBackend, type GpujsInfo, type GpujsMode } from '../src/autograd/index.js';
import type { MatmulArgs } from '../src/autograd/backend/backend.js';

export interface MatmulComparison {
  mode: GpujsMode;
  n: number;
  /** info() after the run; null when the backend could not even be created. */
  info: GpujsInfo | null;
  /** Why the mode could not run, when it could not. */
  error: string | null;
  cpuMs: number;
  /** First call (builds and compiles the kernel) and a second call (cached kernel). */
  gpuFirstMs: number;
  gpuMs: number;
  maxAbsDiff: number;
  /** max |C_gpu − C_cpu| / max |C_cpu|. */
  relDiff: number;
}

/** A float32 n×n matrix with entries ~ N(0, 1), from the seeded generator. */
function randomMatrix(n: number, gen: Generator): Float32Array {
  return Float32Array.from({ length: n * n }, () => gen.normal());
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

export function compareMatmul(mode: GpujsMode, n: number, seed = 0): MatmulComparison {
  const gen = new Generator(seed);
  const args: MatmulArgs = {
    a: randomMatrix(n, gen),
    b: randomMatrix(n, gen),
    aBatch: [],
    bBatch: [],
    batchShape: [],
    m: n,
    k: n,
    n,
    transA: false,
    transB: false,
  };
  const [reference, cpuMs] = timed(() => cpuBackend.matmul(args));
  const empty = { mode, n, cpuMs, gpuFirstMs: NaN, gpuMs: NaN, maxAbsDiff: NaN, relDiff: NaN };
  let backend: GpujsBackend;
  try {
    backend = createGpujsBackend({ mode });
  } catch (e) {
    return { ...empty, info: null, error: message(e) };
  }
  try {
    const [, gpuFirstMs] = timed(() => backend.matmul(args));
    const [result, gpuMs] = timed(() => backend.matmul(args));
    let maxAbsDiff = 0;
    let scale = 0;
    for (let i = 0; i < reference.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(result[i]! - reference[i]!));
      scale = Math.max(scale, Math.abs(reference[i]!));
    }
    return { ...empty, info: backend.info(), error: null, gpuFirstMs, gpuMs, maxAbsDiff, relDiff: maxAbsDiff / scale };
  } catch (e) {
    return { ...empty, info: backend.info(), error: message(e) };
  } finally {
    backend.destroy();
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Whether every kernel that executed was a GL shader: gpu.js's GL kernel classes (WebGL, WebGL2, headless GL)
 * all report the mode 'gpu', its own fallback reports 'cpu'; which GL it was is the GPU object's mode.
 */
export function ranOnGl(c: MatmulComparison): boolean {
  const gl = c.info?.gpuMode === 'webgl' || c.info?.gpuMode === 'webgl2';
  return c.error === null && gl && c.info!.kernelModes.length > 0 && c.info!.kernelModes.every((m) => m === 'gpu');
}
