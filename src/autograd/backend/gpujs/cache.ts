/**
 * The kernel cache of one gpujs backend: the GPU object, the kernels built so far (one per distinct shape and
 * parameter set, found by a key string, the least recently used destroyed past a limit, since each holds a
 * wasm memory), the helper-thread pool, and running a cached kernel: straight through its WebAssembly module
 * when it is a webasm one (direct.ts), else the portable gpu.js way.
 */
import { GPU, keepFlat, kernelMode, view, type Gpu, type GpujsMode, type GpuKernel, type GpuKernelSettings } from './adapter.js';
import { directKernel, type DirectKernel } from './direct.js';
import { createThreadPool, type ThreadPool } from './threads.js';
import { flatResult } from './unpack.js';

/** A kernel of the cache, and its direct runner (undefined before the first run; null: run the portable way). */
export interface CachedKernel {
  kernel: GpuKernel;
  direct: DirectKernel | null | undefined;
}

export interface KernelCacheStats {
  gpuMode: string | null;
  kernelModes: string[];
  kernelsBuilt: number;
  kernelRuns: number;
  threads: number;
  threadedRuns: number;
  helperChunks: number;
  threadErrors: string[];
  cachedKernels: number;
  fallbackReasons: string[];
}

export interface KernelCache {
  /** The cached kernel for `key`, built from `source` on first use. */
  kernelFor(key: string, source: () => string, settings: () => GpuKernelSettings): CachedKernel;
  /**
   * Runs a kernel on flat float32 arguments viewed with `sizes` (x fastest). Returns the output's `length`
   * values: a view into the kernel's memory when it ran directly (valid until its next run: callers copy),
   * else a fresh array. `threaded` allows splitting the cells over helper threads.
   */
  run(cached: CachedKernel, args: readonly Float32Array[], sizes: readonly number[][], length: number, threaded: boolean): Float32Array;
  /** A result the caller may keep: `run`'s output copied when it is a view into kernel memory. */
  fresh(cached: CachedKernel, data: Float32Array): Float32Array;
  stats(): KernelCacheStats;
  /** Destroys every cached kernel, the pool and the GPU object; they are rebuilt lazily if used again. */
  destroy(): void;
}

/** `threads` counts the calling thread; helper threads only serve webasm kernels (others have no module to share). */
export function createKernelCache(mode: GpujsMode, maxKernels: number, threads: number): KernelCache {
  let gpu: Gpu | null = null;
  // Map order is recency order: a hit moves its kernel to the end, eviction takes the first.
  const kernels = new Map<string, CachedKernel>();
  const kernelModes = new Set<string>();
  const fallbackReasons: string[] = [];
  let kernelsBuilt = 0;
  let kernelRuns = 0;
  let threadedRuns = 0;
  let pool: ThreadPool | null | undefined = mode === 'webasm' && threads > 1 ? undefined : null;

  function getGpu(): Gpu {
    gpu ??= new GPU({ mode });
    return gpu;
  }

  function getPool(): ThreadPool | null {
    if (pool === undefined) pool = createThreadPool(threads - 1);
    return pool;
  }

  function destroyKernel(cached: CachedKernel): void {
    if (cached.direct?.sharedId != null) pool?.release(cached.direct.sharedId);
    cached.kernel.destroy();
  }

  return {
    kernelFor(key, source, settings) {
      const cached = kernels.get(key);
      if (cached) {
        kernels.delete(key);
        kernels.set(key, cached);
        return cached;
      }
      const built = getGpu().createKernel(source(), { precision: 'single', ...settings() });
      keepFlat(built);
      kernelsBuilt++;
      const entry: CachedKernel = { kernel: built, direct: undefined };
      kernels.set(key, entry);
      for (const [oldestKey, oldest] of kernels) {
        if (kernels.size <= maxKernels) break;
        kernels.delete(oldestKey);
        destroyKernel(oldest);
      }
      return entry;
    },

    run(cached, args, sizes, length, threaded) {
      kernelRuns++;
      const inner = cached.kernel.kernel;
      if (cached.direct === undefined) {
        // The first run builds the kernel; a webasm one is then driven through its module (direct.ts).
        const inputs = args.map((data, i) => view(data, [...sizes[i]!]));
        cached.direct = kernelMode(inner) === 'webasm' ? directKernel(inner, inputs, threaded || threads > 1 ? getPool() : null) : null;
      }
      const direct = cached.direct;
      if (direct) {
        kernelModes.add('webasm');
        const useThreads = threaded && direct.threaded;
        if (useThreads) threadedRuns++;
        return direct.run(args, useThreads).subarray(0, length);
      }
      const result = cached.kernel(...args.map((data, i) => view(data, [...sizes[i]!])));
      const current = cached.kernel.kernel;
      kernelModes.add(kernelMode(current));
      if ('fallbackReason' in current && typeof current.fallbackReason === 'string' && !fallbackReasons.includes(current.fallbackReason)) {
        fallbackReasons.push(current.fallbackReason);
      }
      return flatResult(result, length);
    },

    fresh: (cached, data) => (cached.direct ? data.slice() : data),

    stats: () => ({
      gpuMode: gpu ? gpu.mode : null,
      kernelModes: [...kernelModes],
      kernelsBuilt,
      kernelRuns,
      threads: pool ? pool.helpers + 1 : 1,
      threadedRuns,
      helperChunks: pool ? pool.helperChunks() : 0,
      threadErrors: pool ? pool.errors() : [],
      cachedKernels: kernels.size,
      fallbackReasons: [...fallbackReasons],
    }),

    destroy() {
      for (const kernel of kernels.values()) destroyKernel(kernel);
      kernels.clear();
      pool?.destroy();
      pool = mode === 'webasm' && threads > 1 ? undefined : null;
      if (gpu) void gpu.destroy();
      gpu = null;
    },
  };
}
