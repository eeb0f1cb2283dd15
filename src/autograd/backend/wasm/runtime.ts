/**
 * The wasm backend's runtime: the generated kernel module over one shared WebAssembly.Memory, a bump arena in
 * that memory for each call's operands, and the worker-thread pool (wasm-threads.ts) for the large jobs.
 *
 * The GEMM goes through one exported `run(start, end)`: the caller writes the job's kind and parameters into
 * the job area at address 0, then runs units [0, units) on this thread or splits them with the pool's
 * helpers, which instantiate the same module over the same memory. That is the pool's contract for gpu.js
 * modules (exports `run` and `run_simd`, row width 4 so ranges are passed whole), so the pool is reused as is.
 */
import { createThreadPool, type SharedModule, type ThreadPool } from '../gpujs/threads.js';
import { ModuleBuilder } from './emitter.js';
import { DOT_MR, DOT_NR, emitDotTile } from './gemm-dot.js';
import { emitGemmJob, emitGemmTile, GEMM_BLOCKING, type GemmBlocking } from './gemm-kernel.js';
import { emitRowKernels, type RowKernelExports } from './row-kernels.js';
import { emitUpdateKernels, type UpdateKernelExports } from './update-kernels.js';

/** Job kinds dispatched by `run`. */
export const JOB_KIND = { gemm: 1, dot: 2 } as const;

/** Bytes reserved for the job area at address 0; the arena starts after it. */
const JOB_BYTES = 256;
const PAGE = 65536;
/** 1 GiB of address space reserved for the shared memory (pages are committed only as it grows). */
const MAX_PAGES = 16384;
const INITIAL_PAGES = 16;

/**
 * Builds the kernel module's bytes from this repo's TypeScript (nothing is read from a file). Over a shared
 * memory for threads; a single thread's is not shared, since copies out of a SharedArrayBuffer measured 4x
 * slower than out of an ArrayBuffer (0.20 against 0.06 ns per float, bench/README.md).
 */
export function buildKernelModule(shared = true, blocking: GemmBlocking = GEMM_BLOCKING): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
  const tile = emitGemmTile(mod, blocking);
  const dotTile = emitDotTile(mod);
  const { index: run, f } = mod.func('run', ['i32', 'i32', 'i32']);
  const start = f.param(0, 'i32');
  const end = f.param(1, 'i32');
  const job = f.local('i32');
  const kind = f.local('i32');
  f.i32(0).set(job);
  f.get(job).loadI32(0).set(kind);
  f.get(kind).i32(JOB_KIND.gemm).op('i32.eq');
  f.if(() => emitGemmJob(f, job, start, end, tile, blocking));
  f.get(kind).i32(JOB_KIND.dot).op('i32.eq');
  f.if(() => emitGemmJob(f, job, start, end, dotTile, { mr: DOT_MR, nr: DOT_NR }));
  mod.alias('run_simd', run);
  emitRowKernels(mod);
  emitUpdateKernels(mod);
  return mod.encode();
}

let nextModuleId = 1 << 24; // far from gpu.js's entry ids, though each runtime has its own pool anyway

/** The module's exports: the pool's entry point, and the elementwise and row kernels called directly. */
export interface KernelExports extends RowKernelExports, UpdateKernelExports {
  run(start: number, end: number, seed: number): void;
}

export interface WasmRuntime {
  /** The kernels, for the calling thread (elementwise and row kernels run there: they are bound by copies). */
  readonly kernels: KernelExports;
  /** Float32 view of the whole memory (refreshed after growth: use it right after `reserve`). */
  f32(): Float32Array;
  i32(): Int32Array;
  /** Resets the arena and makes room for `bytes` of operands; returns the arena's first byte address. */
  reserve(bytes: number): number;
  /** Runs units [0, units) of the job written in the job area; splits them over the pool when `parallel`. */
  run(units: number, parallel: boolean): void;
  readonly threads: number;
  /** Units the helper threads have run (the rest ran on the calling thread). */
  helperChunks(): number;
  destroy(): void;
}

/** A runtime with `threads` threads in all (the calling thread included). */
export function createWasmRuntime(threads: number, blocking: GemmBlocking = GEMM_BLOCKING): WasmRuntime {
  const shared = threads > 1;
  const bytes = buildKernelModule(shared, blocking);
  if (!WebAssembly.validate(bytes)) {
    throw new Error(
      'wasm backend: this WebAssembly engine does not accept the generated SIMD module (WebAssembly SIMD is needed: Node >= 16.4, or a browser from 2021 on)',
    );
  }
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const sharedModule: SharedModule = { id: nextModuleId++, module, memory, mathImports: [], sizeX: 4 };
  let pool: ThreadPool | null | undefined = threads > 1 ? undefined : null;
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  // Only this runtime grows the memory, so the views are renewed right after a grow (reading memory.buffer
  // on every call instead was 2.6% of a tiny-gpt step's profile).
  let have = memory.buffer.byteLength;
  const refresh = (): void => {
    have = memory.buffer.byteLength;
    f32 = new Float32Array(memory.buffer);
    i32 = new Int32Array(memory.buffer);
  };
  return {
    kernels: exports,
    threads,
    f32: () => f32,
    i32: () => i32,
    reserve(need) {
      const total = JOB_BYTES + need;
      if (total > have) {
        const pages = Math.ceil((total - have) / PAGE);
        if (have / PAGE + pages > MAX_PAGES)
          throw new Error(`wasm backend: ${total} bytes of operands exceed the ${MAX_PAGES * PAGE} byte memory`);
        memory.grow(pages);
        refresh();
      }
      return JOB_BYTES;
    },
    run(units, parallel) {
      if (units <= 0) return;
      if (parallel && units > 1 && pool === undefined) pool = createThreadPool(threads - 1);
      if (parallel && units > 1 && pool) pool.run(sharedModule, units, exports.run);
      else exports.run(0, units, 0);
    },
    helperChunks: () => (pool ? pool.helperChunks() : 0),
    destroy() {
      pool?.destroy();
      pool = threads > 1 ? undefined : null;
    },
  };
}

/** Rounds a byte count up to a 64-byte line, so each operand starts on its own cache line. */
export function align64(bytes: number): number {
  return (bytes + 63) & ~63;
}
