/**
 * The routing policy of the gpujs backend: which calls run as gpu.js kernels and which are answered by the
 * cpu backend, and when a kernel is split over helper threads. With the defaults:
 * - matmul runs as a kernel from 4,096 multiply-adds, with at least 2 rows and an inner dimension of at
 *   least 3 (a row vector times a matrix is the cpu's best loop);
 * - max and min reductions and row log-sum-exp run as kernels from 1,024 input elements;
 * - sums and row softmax always run on the cpu (its block reductions and inline float32 exp beat a launch at
 *   every size measured);
 * - every other method (CPU_METHODS) always runs on the cpu: elementwise maps, data movement and the fused
 *   row kernels are single memory-bound passes, where copying the arguments into a kernel and the result out
 *   costs what the kernel would save;
 * - float64 calls always run on the cpu (gpu.js computes in float32 only), and so do calls with a view
 *   dimension of 2^24 or more (gpu.js does some index arithmetic in float32).
 * The measurements behind these numbers are in bench/README.md, Decisions.
 */
import type { Backend } from '../backend.js';

export interface GpujsRouting {
  /** Matmuls with fewer multiply-adds (batches * m * n * k) than this. */
  minMatmulMacs: number;
  /** Matmuls with fewer rows m than this. */
  minMatmulRows: number;
  /** Matmuls with a shorter inner dimension k than this. */
  minMatmulK: number;
  /** Reductions and log-sum-exp over fewer input elements than this. */
  minRowElements: number;
  /** Softmax over fewer elements than this. */
  minSoftmaxElements: number;
  /**
   * Sums over fewer input elements than this (max and min follow minRowElements). Optional so that a routing
   * written before it existed keeps its meaning: when a caller's routing leaves it out, minRowElements
   * applies to sums as well.
   */
  minSumElements?: number;
}

export const DEFAULT_ROUTING: Readonly<GpujsRouting> = Object.freeze({
  minMatmulMacs: 4096,
  minMatmulRows: 2,
  minMatmulK: 3,
  minRowElements: 1024,
  minSoftmaxElements: Infinity,
  minSumElements: Infinity,
});

/** When a kernel is split over helper threads; smaller ones run on the calling thread only. */
export interface GpujsThreading {
  /** Matmuls with fewer multiply-adds than this (waking the helpers and waiting for them costs ~20 us). */
  minMatmulMacs: number;
  /** Row kernels (reductions, softmax, log-sum-exp) over fewer input elements than this. */
  minRowElements: number;
}

export const DEFAULT_THREADING: Readonly<GpujsThreading> = Object.freeze({
  minMatmulMacs: 1 << 17,
  minRowElements: 1 << 16,
});

/** The policy a backend runs with: the defaults overridden by a caller's partial routing. */
export type ResolvedRouting = Required<GpujsRouting>;

export function resolveRouting(routing: Partial<GpujsRouting> | undefined): ResolvedRouting {
  const resolved = { ...DEFAULT_ROUTING, ...routing };
  // A caller's routing without minSumElements keeps its older meaning: minRowElements covers sums too.
  const minSumElements =
    routing && routing.minSumElements === undefined && routing.minRowElements !== undefined
      ? routing.minRowElements
      : (resolved.minSumElements ?? resolved.minRowElements);
  return { ...resolved, minSumElements };
}

/** Whether a float32 matmul of this size is too small for a kernel launch to pay. */
export function matmulOnCpu(r: ResolvedRouting, batches: number, m: number, n: number, k: number): boolean {
  const macs = batches * m * n * k;
  return macs === 0 || macs < r.minMatmulMacs || m < r.minMatmulRows || k < r.minMatmulK;
}

/** Whether a float32 reduction over `size` elements stays on the cpu. */
export function reduceOnCpu(r: ResolvedRouting, op: 'sum' | 'max' | 'min', size: number): boolean {
  return size === 0 || size < (op === 'sum' ? r.minSumElements : r.minRowElements);
}

export function softmaxOnCpu(r: ResolvedRouting, size: number): boolean {
  return size === 0 || size < r.minSoftmaxElements;
}

export function logSumExpOnCpu(r: ResolvedRouting, size: number): boolean {
  return size === 0 || size < r.minRowElements;
}

/** The methods the gpujs backend always answers with the cpu backend (see the header for why). */
export const CPU_METHODS = [
  'unary',
  'binary',
  'permute',
  'gather',
  'scatterAdd',
  'expand',
  'slice',
  'pad',
  'concat',
  'where',
  'cast',
  'argmax',
  'gelu',
  'geluGrad',
  'layerNormRows',
  'layerNormRowsGrad',
  'softmaxRowsGrad',
  'crossEntropyRows',
  'crossEntropyRowsGrad',
] as const satisfies readonly (keyof Backend)[];

/** The methods that may run as gpu.js kernels, routed call by call with the predicates above. */
export type KernelMethod = Exclude<keyof Backend, (typeof CPU_METHODS)[number] | 'name'>;
