/**
 * Running a built gpu.js webasm kernel straight through its WebAssembly module.
 *
 * A webasm kernel call (gpu.js 2.24) flattens each argument into the module's memory through a generic
 * nested-array walker, runs `run_simd` over the output cells, and slices the output region out into a fresh
 * array. Here the arguments (already flat Float32Arrays) are copied with one `set` each, the cells run on this
 * thread or split with helper threads (threads.ts), and the caller reads the output region in place and
 * copies what it needs (one copy instead of two: a matmul unpacks its blocked output straight from it).
 *
 * This leans on gpu.js internals: the kernel instance's `_active` entry (its module, memory, layout and run
 * exports) and `setAsyncMode` (a kernel built under the async contract gets a module over a shared memory,
 * which is what lets helper threads instantiate it). `directKernel` checks every field it uses and returns null
 * when any is missing or of the wrong kind; the caller then runs the kernel the portable way.
 */
import { runRange, type RangeRunner, type SharedModule, type ThreadPool } from './threads.js';

interface ArrayRecord {
  index: number;
  /** Byte offset of the argument's region in the module's memory. */
  offset: number;
  flatLength: number;
}

/** The fields of a gpu.js webasm kernel's module entry that are used here. */
interface WasmEntry {
  id: number;
  shared: boolean;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  mathImports: string[];
  sizeX: number;
  cells: number;
  run: RangeRunner;
  runSimd: RangeRunner | null;
  f32: Float32Array;
  layout: { arrays: Record<string, ArrayRecord>; outputOffset: number };
}

/** The fields of a gpu.js WebAssemblyKernel instance that are used here. */
interface WasmKernelInstance {
  build(...args: unknown[]): void;
  setAsyncMode(flag: boolean): unknown;
  built: boolean;
  fallbackRequested: boolean;
  componentCount: number;
  _active: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasKernelMethods(kernel: object): kernel is WasmKernelInstance {
  const k = kernel as Record<string, unknown>;
  return typeof k.build === 'function' && typeof k.setAsyncMode === 'function' && '_active' in k;
}

function asEntry(value: unknown): WasmEntry | null {
  if (!isRecord(value)) return null;
  const layout = value.layout;
  const ok =
    typeof value.id === 'number' &&
    typeof value.shared === 'boolean' &&
    value.module instanceof WebAssembly.Module &&
    value.memory instanceof WebAssembly.Memory &&
    Array.isArray(value.mathImports) &&
    typeof value.sizeX === 'number' &&
    typeof value.cells === 'number' &&
    typeof value.run === 'function' &&
    (value.runSimd === null || typeof value.runSimd === 'function') &&
    value.f32 instanceof Float32Array &&
    isRecord(layout) &&
    isRecord(layout.arrays) &&
    typeof layout.outputOffset === 'number';
  if (!ok) return null;
  for (const record of Object.values(layout.arrays as Record<string, unknown>)) {
    if (
      !isRecord(record) ||
      typeof record.index !== 'number' ||
      typeof record.offset !== 'number' ||
      typeof record.flatLength !== 'number'
    ) {
      return null;
    }
  }
  return value as unknown as WasmEntry;
}

export interface DirectKernel {
  /** Whether helper threads can run this kernel (its memory is shared). */
  readonly threaded: boolean;
  /**
   * Runs the kernel on flat arguments (in the kernel's parameter order, each exactly its view's size) and
   * returns the output region: a view into the module's memory, valid until the next run of this kernel.
   * With `useThreads`, the cells are split with the pool's helpers.
   */
  run(args: readonly Float32Array[], useThreads: boolean): Float32Array;
  /** The module id helper threads know it by (to release it), or null when it is not shared. */
  readonly sharedId: number | null;
}

/**
 * Builds `kernel` (a gpu.js webasm kernel instance, `gpuKernel.kernel`) with `buildArgs` and returns a direct
 * runner for it, or null when the instance does not look like gpu.js 2.24's WebAssemblyKernel (the caller runs
 * it the portable way). With a pool, the kernel is built under the async contract so that its memory is shared
 * (gpu.js does this only for outputs of 4096 cells and more; smaller kernels run on this thread).
 */
export function directKernel(kernel: object, buildArgs: readonly unknown[], pool: ThreadPool | null): DirectKernel | null {
  if (!hasKernelMethods(kernel) || kernel.built) return null;
  if (pool) kernel.setAsyncMode(true);
  kernel.build(...buildArgs);
  const entry = kernel.fallbackRequested ? null : asEntry(kernel._active);
  if (!entry || !kernel.built) {
    if (pool) kernel.setAsyncMode(false);
    return null;
  }
  const records = Object.values(entry.layout.arrays).sort((x, y) => x.index - y.index);
  const outputStart = entry.layout.outputOffset / 4;
  const outputLength = entry.cells * kernel.componentCount;
  const shared: SharedModule = {
    id: entry.id,
    module: entry.module,
    memory: entry.memory,
    mathImports: entry.mathImports,
    sizeX: entry.sizeX,
  };
  const local: RangeRunner = (start, end) => runRange(entry.sizeX, entry.run, entry.runSimd, start, end);
  const threaded = pool !== null && entry.shared;
  return {
    threaded,
    sharedId: threaded ? entry.id : null,
    run(args, useThreads) {
      if (args.length !== records.length) throw new Error(`gpujs: kernel takes ${records.length} arrays, got ${args.length}`);
      records.forEach((record, i) => {
        const data = args[i]!;
        if (data.length !== record.flatLength)
          throw new Error(`gpujs: argument ${i} has ${data.length} values, the kernel was built for ${record.flatLength}`);
        entry.f32.set(data, record.offset / 4);
      });
      if (threaded && useThreads) pool!.run(shared, entry.cells, local);
      else local(0, entry.cells, 0);
      return entry.f32.subarray(outputStart, outputStart + outputLength);
    },
  };
}
