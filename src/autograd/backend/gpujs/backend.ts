/**
 * The `gpujs` backend: the same kernel contract as `cpu`, with matmul, max/min reductions and row
 * log-sum-exp run as gpu.js kernels where routing.ts says a kernel pays (sums and row softmax also have
 * kernels, off by default), and every other call answered by the tuned cpu backend.
 *
 * - A float32 backend: gpu.js computes in float32 only, so every float64 call is answered by the cpu backend
 *   (float64 is the verification dtype; it never needs this backend).
 * - In Node the gpu.js mode is pinned to 'webasm' (WebAssembly with f32x4 SIMD) unless the caller names
 *   another; never auto-selection, which would try GL/WebGPU paths that are slow software renderers on
 *   machines without a GPU. A browser may pass 'webgl2' or 'webgl'.
 * - webasm kernels run straight through their WebAssembly module (direct.ts), large ones split over helper
 *   threads in Node (threads.ts); `threads: 1` keeps everything on the calling thread.
 *
 * Known differences from cpu that cannot be fixed here:
 * - float32 arithmetic in a different order (matmul adds several k terms before accumulating), so
 *   results agree to float32 rounding, not bit for bit.
 * - On GL modes (browser), NaN and Infinity inside shaders are not guaranteed by the GLSL spec; webasm and
 *   gpu.js cpu mode follow IEEE 754 and match the cpu backend's NaN/Infinity results for softmax and
 *   log-sum-exp. Reduce max/min keep a NaN wherever it sits in the group, as the cpu backends do.
 */
import type { TypedArray } from '../../dtype.js';
import { reducedShape, sizeOf, type Shape } from '../../shape.js';
import type { Backend, MatmulArgs, ReduceOp, RowMask } from '../backend.js';
import { broadcastOffsets, reductionBlock } from '../cpu/strided.js';
import { cpuBackend } from '../cpu/tuned.js';
import { MAX_INDEX, type GpujsMode } from './adapter.js';
import { createKernelCache, type KernelCacheStats } from './cache.js';
import {
  CPU_METHODS,
  DEFAULT_THREADING,
  logSumExpOnCpu,
  matmulOnCpu,
  reduceOnCpu,
  resolveRouting,
  softmaxOnCpu,
  type GpujsRouting,
  type GpujsThreading,
} from './routing.js';
import {
  logSumExpSource,
  MATMUL_UNROLL,
  matmulSource,
  POW2_TABLE,
  reduceSource,
  softmaxApplySource,
  softmaxStatsSource,
  type BatchMode,
  type MatmulPlan,
} from './sources.js';
import { availableCores } from './threads.js';
import { unpackMatmul } from './unpack.js';

export interface GpujsBackendOptions {
  /** The gpu.js mode; 'webasm' by default (the right choice in Node; browsers may pass 'webgl2'). */
  mode?: GpujsMode;
  /** When a call runs on the cpu backend instead of a kernel; DEFAULT_ROUTING where not given. */
  routing?: Partial<GpujsRouting>;
  /** Most kernels kept; the least recently used one is destroyed past this (each holds a wasm memory). */
  maxCachedKernels?: number;
  /**
   * Threads that run a large webasm kernel, the calling one included (helpers are worker_threads; see
   * threads.ts). Default: the cores available, at most 8; 1 runs everything on the calling thread.
   * Where threads are unavailable (a browser, other gpu.js modes) it is 1 whatever is asked.
   */
  threads?: number;
  /** When a kernel is split over the threads; DEFAULT_THREADING where not given. */
  threading?: Partial<GpujsThreading>;
}

/** What ran: the mode asked for, the GPU object's mode, and the mode of every kernel that actually executed. */
export interface GpujsInfo extends KernelCacheStats {
  requestedMode: GpujsMode;
  /** Calls answered by the cpu backend: float64, small or empty problems, delegated ops. */
  cpuRoutes: number;
}

export interface GpujsBackend extends Backend {
  info(): GpujsInfo;
  /** Destroys every cached kernel and the GPU object; the backend rebuilds lazily if used again. */
  destroy(): void;
}

function batchMode(operandBatch: Shape, batchShape: Shape): BatchMode {
  const count = sizeOf(operandBatch);
  // Same count after broadcasting means same shape up to leading 1s: offsets are the batch index.
  if (count === sizeOf(batchShape) && sizeOf(batchShape) > 0) return 'same';
  return count === 1 ? 'one' : 'table';
}

export function createGpujsBackend(opts: GpujsBackendOptions = {}): GpujsBackend {
  const mode: GpujsMode = opts.mode ?? 'webasm';
  const routing = resolveRouting(opts.routing);
  const threading: GpujsThreading = { ...DEFAULT_THREADING, ...opts.threading };
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(8, availableCores())));
  const cache = createKernelCache(mode, Math.max(1, opts.maxCachedKernels ?? 64), threads);
  const { kernelFor, run, fresh } = cache;
  const inlineExp = mode === 'webasm';
  const expConstants = inlineExp ? { constants: { pow2: POW2_TABLE } } : {};
  let cpuRoutes = 0;

  function matmul(args: MatmulArgs): TypedArray {
    const { a, b, aBatch, bBatch, batchShape, m, k, n, transA, transB } = args;
    const batches = sizeOf(batchShape);
    const macs = batches * m * n * k;
    if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || matmulOnCpu(routing, batches, m, n, k)) {
      cpuRoutes++;
      return cpuBackend.matmul(args);
    }
    // The SIMD lanes run along the kernel's i axis, best when it is a multiple of 4; when only n is, compute
    // C^T = op(B)^T op(A)^T instead, which swaps the operands and flips both transposes.
    const swap = (m % 4 !== 0 && n % 4 === 0) || (m < 4 && n > m);
    const plan: MatmulPlan = swap
      ? {
          batches,
          m: n,
          n: m,
          k,
          transA: !transB,
          transB: !transA,
          aMode: batchMode(bBatch, batchShape),
          bMode: batchMode(aBatch, batchShape),
        }
      : { batches, m, n, k, transA, transB, aMode: batchMode(aBatch, batchShape), bMode: batchMode(bBatch, batchShape) };
    const [pa, pb] = swap ? [b, a] : [a, b];
    const [paBatch, pbBatch] = swap ? [bBatch, aBatch] : [aBatch, bBatch];
    const aCount = sizeOf(paBatch);
    const bCount = sizeOf(pbBatch);
    // x fastest: [cols, rows] or, for an operand with its own batches, [cols, rows, count] (see matmulSource).
    const operandView = (cols: number, rows: number, count: number, mode: BatchMode): number[] =>
      batches > 1 && mode !== 'one' ? [cols, rows, count] : [cols, rows * count];
    const aView = plan.transA ? operandView(plan.m, k, aCount, plan.aMode) : operandView(k, plan.m, aCount, plan.aMode);
    const bView = plan.transB ? operandView(k, plan.n, bCount, plan.bMode) : operandView(plan.n, k, bCount, plan.bMode);
    if (Math.max(...aView, ...bView, batches) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.matmul(args);
    }
    const blocks = Math.ceil(plan.n / 4);
    const output = batches > 1 ? [plan.m, blocks, batches] : [plan.m, blocks];
    const key = `mm|${batches}|${plan.m}|${plan.n}|${k}|${plan.transA}|${plan.transB}|${plan.aMode}${aCount}|${plan.bMode}${bCount}`;
    const kernel = kernelFor(
      key,
      () => matmulSource(plan),
      () => ({ output, returnType: 'Array(4)', loopMaxIterations: k + MATMUL_UNROLL }),
    );
    const inputs = [pa, pb];
    const sizes = [aView, bView];
    if (plan.aMode === 'table') {
      inputs.push(Float32Array.from(broadcastOffsets(paBatch, batchShape)));
      sizes.push([batches]);
    }
    if (plan.bMode === 'table') {
      inputs.push(Float32Array.from(broadcastOffsets(pbBatch, batchShape)));
      sizes.push([batches]);
    }
    const data = run(kernel, inputs, sizes, batches * plan.m * blocks * 4, macs >= threading.minMatmulMacs);
    // The unpack copies out of the kernel's memory (a fresh array either way) and adds the bias as it goes.
    const bias = args.bias ?? null;
    if (bias && !(bias instanceof Float32Array)) throw new Error('gpujs matmul: a float32 product needs a float32 bias');
    return unpackMatmul(data, batches, plan.m, plan.n, blocks, swap, bias);
  }

  function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
    const outSize = sizeOf(reducedShape(shape, axes, true));
    if (!(x instanceof Float32Array) || reduceOnCpu(routing, op, x.length) || outSize === 0 || axes.length === 0) {
      cpuRoutes++;
      return cpuBackend.reduce(op, x, shape, axes);
    }
    let block = reductionBlock(shape, axes);
    let data = x;
    if (!block) {
      // Permute the reduced axes last (on the cpu: a copy, no arithmetic); kept axes stay in order.
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const permuted = cpuBackend.permute(x, shape, [...kept, ...axes]);
      data = permuted instanceof Float32Array ? permuted : Float32Array.from(permuted);
      block = [outSize, x.length / outSize, 1];
    }
    const [outer, red, inner] = block;
    if (Math.max(outer, red, inner) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.reduce(op, x, shape, axes);
    }
    const key = `reduce|${op}|${outer}|${red}|${inner}`;
    const output = inner === 1 ? [outer] : [inner, outer];
    const kernel = kernelFor(
      key,
      () => reduceSource(op, red, inner),
      () => ({ output, loopMaxIterations: red + 1 }),
    );
    const size = inner === 1 ? [red, outer] : [inner, red, outer];
    return fresh(kernel, run(kernel, [data], [size], outSize, x.length >= threading.minRowElements));
  }

  function softmaxRows(x: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray {
    const size = rows * cols;
    if (!(x instanceof Float32Array) || mask || softmaxOnCpu(routing, size) || Math.max(rows, cols) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.softmaxRows(x, rows, cols, mask);
    }
    const threaded = size >= threading.minRowElements;
    const statsKernel = kernelFor(
      `softmax-stats|${rows}|${cols}`,
      () => softmaxStatsSource(cols, inlineExp),
      () => ({
        output: [rows],
        returnType: 'Array(2)',
        loopMaxIterations: cols + 1,
        ...expConstants,
      }),
    );
    const stats = fresh(statsKernel, run(statsKernel, [x], [[cols, rows]], rows * 2, threaded));
    const applyKernel = kernelFor(
      `softmax-apply|${rows}|${cols}`,
      () => softmaxApplySource(inlineExp),
      () => ({
        output: [cols, rows],
        ...expConstants,
      }),
    );
    const out = fresh(
      applyKernel,
      run(
        applyKernel,
        [x, stats],
        [
          [cols, rows],
          [2, rows],
        ],
        rows * cols,
        threaded,
      ),
    );
    // Rows without a finite max take the cpu kernel's answer (NaN, or the Infinity/Infinity cases).
    for (let r = 0; r < rows; r++) {
      if (!Number.isFinite(stats[2 * r]!)) out.set(cpuBackend.softmaxRows(x.subarray(r * cols, (r + 1) * cols), 1, cols), r * cols);
    }
    return out;
  }

  function logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray {
    const size = rows * cols;
    if (!(x instanceof Float32Array) || logSumExpOnCpu(routing, size) || Math.max(rows, cols) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.logSumExpRows(x, rows, cols);
    }
    const kernel = kernelFor(
      `lse|${rows}|${cols}`,
      () => logSumExpSource(cols, inlineExp),
      () => ({
        output: [rows],
        loopMaxIterations: cols + 1,
        ...expConstants,
      }),
    );
    return fresh(kernel, run(kernel, [x], [[cols, rows]], rows, size >= threading.minRowElements));
  }

  // Every method routing.ts keeps on the cpu: the cpu backend's own, counted as a cpu route.
  const delegated: Partial<Record<keyof Backend, unknown>> = {};
  for (const method of CPU_METHODS) {
    const fn = cpuBackend[method] as (...args: unknown[]) => unknown;
    delegated[method] = (...args: unknown[]) => {
      cpuRoutes++;
      return fn(...args);
    };
  }

  return {
    ...(delegated as Pick<Backend, (typeof CPU_METHODS)[number]>),
    name: 'gpujs',
    reduce,
    matmul,
    softmaxRows,
    logSumExpRows,
    info: () => ({ requestedMode: mode, cpuRoutes, ...cache.stats() }),
    destroy: () => cache.destroy(),
  };
}
