/**
 * The `gpujs` backend: the same kernel contract as `cpu`, with matmul, reductions, row softmax and row
 * log-sum-exp run as gpu.js kernels.
 *
 * What it is, and what it is not:
 * - A float32 backend. gpu.js computes in float32 only, so every float64 call is answered by the cpu
 *   reference kernels (float64 is the verification dtype; it never needs this backend).
 * - Elementwise maps, permute, gather and scatter-add stay on the cpu backend: a gpu.js launch copies its
 *   arguments in and its result out, which costs as much as the map itself.
 * - In Node the gpu.js mode is pinned to 'webasm' (WebAssembly with f32x4 SIMD) unless the caller names
 *   another; never auto-selection, which would try GL/WebGPU paths that are slow software renderers on
 *   machines without a GPU. A browser may pass 'webgl2' or 'webgl'.
 * - webasm kernels are run straight through their WebAssembly module (gpujs-direct.ts: arguments copied in
 *   with one `set`, the output read in place), and large ones are split over helper threads in Node
 *   (wasm-threads.ts: gpu.js itself splits work over workers only under its Promise contract, which the
 *   synchronous Backend contract cannot use). `threads: 1` keeps everything on the calling thread.
 * - Small problems route to cpu, where the launch overhead would dominate (thresholds below, measured).
 *
 * Each kernel is built once per distinct shape and parameter set and cached by a key string (per-shape
 * kernels bake sizes and strides into the generated code as literals; gpu.js's webasm backend rebuilds its
 * module per size signature even with dynamic output, so dynamic kernels would save nothing).
 *
 * Known differences from cpu that cannot be fixed here:
 * - float32 arithmetic in a different order (matmul sums four k terms before accumulating), so results
 *   agree to float32 rounding, not bit for bit.
 * - On GL modes (browser), NaN and Infinity inside shaders are not guaranteed by the GLSL spec; webasm and
 *   gpu.js cpu mode follow IEEE 754 and match the cpu backend's NaN/Infinity results for softmax and
 *   log-sum-exp. Reduce max/min keep a NaN wherever it sits in the group (the intent stated in cpu.ts;
 *   cpu.ts's loop itself lets a later value replace a NaN, so there they differ on purpose).
 * - Index arithmetic inside gpu.js kernels is partly float32, so no single view dimension may reach 2^24;
 *   calls that would are answered by cpu.
 */
import gpujs from 'gpu.js';
import type { TypedArray } from '../dtype.js';
import { reducedShape, sizeOf, type Shape } from '../shape.js';
import type { Backend, MatmulArgs, ReduceOp, RowMask } from './backend.js';
import { cpuBackend } from './cpu.js';
import { directKernel, type DirectKernel } from './gpujs-direct.js';
import { registerBackend } from './index.js';
import { broadcastOffsets } from './strided.js';
import { availableCores, createThreadPool, type ThreadPool } from './wasm-threads.js';

/** gpu.js modes a caller may pin. 'gpu' and 'async' (auto-selection) are deliberately not offered. */
export type GpujsMode = 'webasm' | 'cpu' | 'webgl' | 'webgl2' | 'headlessgl' | 'webgpu';

export interface GpujsBackendOptions {
  /** The gpu.js mode; 'webasm' by default (the right choice in Node; browsers may pass 'webgl2'). */
  mode?: GpujsMode;
  /** When a call runs on the cpu backend instead of a kernel; DEFAULT_ROUTING where not given. */
  routing?: Partial<GpujsRouting>;
  /** Most kernels kept; the least recently used one is destroyed past this (each holds a wasm memory). */
  maxCachedKernels?: number;
  /**
   * Threads that run a large webasm kernel, the calling one included (helpers are worker_threads; see
   * wasm-threads.ts). Default: the cores available, at most 8; 1 runs everything on the calling thread.
   * Where threads are unavailable (a browser, other gpu.js modes) it is 1 whatever is asked.
   */
  threads?: number;
  /** When a kernel is split over the threads; DEFAULT_THREADING where not given. */
  threading?: Partial<GpujsThreading>;
}

/** What ran: the mode asked for, the GPU object's mode, and the mode of every kernel that actually executed. */
export interface GpujsInfo {
  requestedMode: GpujsMode;
  /** `gpu.mode` of the GPU object, or null before the first kernel needed one. */
  gpuMode: string | null;
  /** The gpu.js kernel classes' modes that executed at least once (a kernel gpu.js degraded shows 'cpu'). */
  kernelModes: string[];
  /** Kernels built (a cached kernel reused does not count). */
  kernelsBuilt: number;
  kernelRuns: number;
  /** Calls answered by the cpu backend: float64, small or empty problems, delegated ops. */
  cpuRoutes: number;
  /** Threads a large kernel runs on (the calling thread included); 1 when single-threaded. */
  threads: number;
  /** Kernel runs split over helper threads. */
  threadedRuns: number;
  /** Chunks of those runs that helper threads computed (the calling thread computed the rest). */
  helperChunks: number;
  /** Errors of helper threads that died (their share then runs on the calling thread); empty normally. */
  threadErrors: string[];
  cachedKernels: number;
  /** Why gpu.js degraded a kernel to its cpu backend, when it did. */
  fallbackReasons: string[];
}

export interface GpujsBackend extends Backend {
  info(): GpujsInfo;
  /** Destroys every cached kernel and the GPU object; the backend rebuilds lazily if used again. */
  destroy(): void;
}

/**
 * Float32 calls smaller than these run on the cpu backend, where a kernel launch (copying the arguments into
 * wasm memory and the result out) costs more than it saves. Measured with webasm on Node 20 (x86-64), cpu
 * backend against kernel, per call:
 * - matmul n^3: 12^3 4.1 vs 4.0 us, 16^3 8.4 vs 6.5 us, 32^3 56 vs 28 us; 64^3 onwards 2.3-2.9x faster.
 *   A row vector times a matrix is cpu's best loop: 1x256x256 104 vs 196 us, so m = 1 stays on cpu
 *   (n = 1 does not: 256x256x1 232 vs 167 us). k <= 2 is a tie at best: 128x2x128 89 vs 91 us.
 * - sum over the last axis: 8x32 3.3 vs 1.8 us, 512x256 1.13 vs 0.19 ms; max over the first axis 8x32
 *   2.9 vs 2.7 us, 512x256 0.77 vs 0.38 ms; log-sum-exp rows 8x32 2.8 vs 2.7 us, 16x64 10.3 vs 7.6 us,
 *   512x256 2.09 vs 0.80 ms.
 * - softmax rows (two launches, an exp per element in each): 64x64 58 vs 79 us, 512x64 584 vs 580 us,
 *   512x256 2.51 vs 2.36 ms: a tie from about 32k elements, so it only runs as kernels above that.
 * Re-measured after the cpu kernels gained block reductions and an inline float32 exp (cpu vs kernel,
 * single-threaded, the kernel driven directly): sum over the first axis 512x64 57 vs 93 us, 512x512 436 vs
 * 720 us; over the last axis 512x256 129 vs 190 us; softmax rows 512x64 433 vs 608 us, 2048x64 1.54 vs
 * 2.36 ms, 512x512 3.14 vs 4.53 ms; log-sum-exp rows 512x64 301 vs 211 us, 2048x64 1.21 vs 0.85 ms. So sums
 * and softmax now stay on cpu at every size; log-sum-exp (one launch) still gains from the kernel.
 */
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

// ---------------------------------------------------------------------------------------------------------
// The slice of gpu.js this file uses, typed as it behaves at run time. gpu.js's own declarations type
// `input`'s values as number[] (typed arrays are what it is built for) and declare `input` as a type only.

interface GpuInput {
  readonly size: readonly number[];
}

interface GpuKernel {
  (...args: GpuInput[]): unknown;
  /** The backend kernel instance that runs; gpu.js replaces it when it degrades a kernel to cpu. */
  kernel: object;
  destroy(removeCanvasReferences?: boolean): void;
}

interface GpuKernelSettings {
  output: number[];
  returnType?: 'Number' | 'Array(2)' | 'Array(4)';
  loopMaxIterations?: number;
  constants?: Record<string, Float32Array>;
  precision?: 'single';
}

interface Gpu {
  readonly mode: string;
  createKernel(source: string, settings: GpuKernelSettings): GpuKernel;
  destroy(): Promise<void>;
}

interface GpujsModule {
  GPU: new (settings: { mode: GpujsMode }) => Gpu;
  Input: new (value: Float32Array, size: number[]) => GpuInput;
}

const { GPU, Input } = gpujs as unknown as GpujsModule;

/** A 2-D or 3-D view of a flat array, x (the first size) fastest, so `v[y][x]` indexes it in the kernel. */
function view(data: Float32Array, size: number[]): GpuInput {
  return new Input(data, size);
}

// gpu.js does index arithmetic in float32 in places; every single index component must stay below 2^24.
const MAX_INDEX = 1 << 24;

// ---------------------------------------------------------------------------------------------------------
// Kernel sources. Sizes are baked in as literals: one kernel per shape, so the loops have constant trip counts.

/** How a matmul operand's batch offset is found: its own batch index, always batch 0, or a lookup table. */
type BatchMode = 'same' | 'one' | 'table';

interface MatmulPlan {
  batches: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aMode: BatchMode;
  bMode: BatchMode;
}

/**
 * The matmul kernel's k loop is unrolled by 8: measured (compute only, model shapes, webasm, with float row
 * offsets) 3.8 GFLOPS against 3.65 for 4, 3.7 for 16 and 3.1-3.5 fully unrolled; with the inline integer
 * indices of matmulSource, 4.5 for 8 and 4 alike, 4.2 for 16, 2-4 fully unrolled.
 */
const MATMUL_UNROLL = 8;

/**
 * Up to this k the kernel has no loop: every k term is written out with literal indices. Measured (compute
 * only, webasm, one thread, 3-D views): the attention products at k = 16 and 32 run at 4.8-5.3 GFLOPS written
 * out against 3.9-4.0 with the unrolled loop; at k = 64 writing out is slower (3.8-4.1 against 4.0-4.5), and
 * a loop over an integer counter (`q++`, which gpu.js types as an integer) gained nothing over the float one.
 */
const MATMUL_STRAIGHT_K = 32;

/**
 * Batched C = op(A) op(B): thread (x = i, y = j / 4, z = batch) returns C[i][j..j+3]. The lane axis of
 * gpu.js's SIMD is x, so A is read with a per-lane gather once per k term while the four B values are
 * lane-uniform scalar loads; k is unrolled by MATMUL_UNROLL, or written out whole up to MATMUL_STRAIGHT_K.
 * Columns past n (when n % 4 != 0) read column n - 1 and are dropped when the result is unpacked.
 */
function matmulSource(p: MatmulPlan): string {
  const { m, n, k, transA, transB, aMode, bMode, batches } = p;
  const batchIndex = (mode: BatchMode, table: string): string =>
    mode === 'one' ? '0' : mode === 'same' ? 'this.thread.z' : `${table}[this.thread.z]`;
  const params = ['a', 'b'];
  if (aMode === 'table') params.push('aBatch');
  if (bMode === 'table') params.push('bBatch');
  const lines: string[] = [];
  // Every index is written inline from this.thread.* and literals. gpu.js's webasm backend declares any local
  // initialised from an integer expression as a float ("int-typed initializers decay to float"), so hoisted
  // row offsets (`const aRow = ...`) cost a float-to-int conversion at every load they feed; inline integer
  // expressions stay i32. Measured: 4.5 against 3.8 GFLOPS compute-only at the model shapes.
  const [X, Y] = ['this.thread.x', 'this.thread.y'];
  // A batched operand is a 3-D view indexed [batch][row][col], not a 2-D one indexed [batch * rows + row][col]:
  // the product in the row index cost a third of the kernel's speed (compute only, webasm, one thread, the
  // attention products of the reference models: 2.7 against 3.9-4.0 GFLOPS with 3-D views).
  const za = batches > 1 && aMode !== 'one' ? batchIndex(aMode, 'aBatch') : null;
  const zb = batches > 1 && bMode !== 'one' ? batchIndex(bMode, 'bBatch') : null;
  // Column c of the thread's block of 4; past n (a ragged last block) it reads column n - 1.
  const col = (c: number): string => {
    const j = c === 0 ? `${Y} * 4` : `${Y} * 4 + ${c}`;
    return c === 0 || n % 4 === 0 ? j : `(${j} < ${n} ? ${j} : ${n - 1})`;
  };
  const at = (name: string, z: string | null, row: string, column: string): string => `${name}${z ? `[${z}]` : ''}[${row}][${column}]`;
  // Views: a is [rows][cols] (rows = m, or k when transA), with a leading batch axis when batched; b likewise.
  const aAt = (pk: string): string => (transA ? at('a', za, pk, X) : at('a', za, X, pk));
  const bAt = (pk: string, c: number): string => (transB ? at('b', zb, col(c), pk) : at('b', zb, pk, col(c)));
  lines.push(`let s0 = 0;`, `let s1 = 0;`, `let s2 = 0;`, `let s3 = 0;`);
  const unrolled = k <= MATMUL_STRAIGHT_K ? 0 : k - (k % MATMUL_UNROLL);
  const step = (pk: (u: number) => string, count: number): void => {
    for (let u = 0; u < count; u++) lines.push(`const a${u} = ${aAt(pk(u))};`);
    for (let c = 0; c < 4; c++) {
      const terms = Array.from({ length: count }, (_, u) => `a${u} * ${bAt(pk(u), c)}`);
      lines.push(`s${c} += ${terms.join(' + ')};`);
    }
  };
  if (unrolled > 0) {
    lines.push(`for (let p = 0; p < ${unrolled}; p += ${MATMUL_UNROLL}) {`);
    step((u) => (u === 0 ? 'p' : `p + ${u}`), MATMUL_UNROLL);
    lines.push(`}`);
  }
  if (unrolled < k) {
    lines.push(`{`);
    step((u) => `${unrolled + u}`, k - unrolled);
    lines.push(`}`);
  }
  lines.push(`return [s0, s1, s2, s3];`);
  return `function (${params.join(', ')}) {\n${lines.join('\n')}\n}`;
}

/**
 * Reduces x viewed as [outer, red, inner] over its middle axis. Thread (x = inner index, y = outer index)
 * or, when inner = 1, (x = outer index). NaN is sticky for max and min: once the accumulator is NaN no
 * comparison replaces it.
 */
function reduceSource(op: ReduceOp, red: number, inner: number): string {
  const o = inner === 1 ? 'this.thread.x' : 'this.thread.y';
  const at = inner === 1 ? `x[o][r]` : `x[o][r][this.thread.x]`;
  const init = op === 'sum' ? '0' : op === 'max' ? '-Infinity' : 'Infinity';
  const update =
    op === 'sum' ? 'acc += v;' : op === 'max' ? 'if (v > acc || v !== v) { acc = v; }' : 'if (v < acc || v !== v) { acc = v; }';
  return `function (x) {
const o = ${o};
let acc = ${init};
for (let r = 0; r < ${red}; r++) {
const v = ${at};
${update}
}
return acc;
}`;
}

/** The row maximum with sticky NaN, as statements that leave it in `mx`. */
function rowMaxLines(cols: number): string {
  return `let mx = -Infinity;
for (let c = 0; c < ${cols}; c++) {
const v = x[r][c];
if (v > mx || v !== v) { mx = v; }
}`;
}

/**
 * 2^(i - 150) for i in 0..150: the scale table of the inline exp (entry 0 is 2^-150, which rounds to 0).
 * A kernel constant, so it is copied into the kernel's memory once, not per call.
 */
const POW2_TABLE = Float32Array.from({ length: 151 }, (_, i) => Math.pow(2, i - 150));

/**
 * Statements computing `name = exp(t)` in float32 for t <= 0 (every exp here is of x - rowMax). webasm has
 * no exp opcode: `Math.exp` in a webasm kernel is a call out to JavaScript per SIMD lane (measured 3.7x
 * slower than this). So it is computed inline: t = n ln2 + r with n = round(t / ln2) (Cody-Waite split of
 * ln2), exp(r) by its degree-7 Taylor polynomial on |r| <= ln2/2 (truncation error below 6e-9), times 2^n
 * from a table. Measured: at most 1.2e-7 relative error (1 ulp) against Math.fround(Math.exp(t)) on
 * [-87, 0]; exp(-Infinity) = 0 (t is clamped at -104, where exp underflows float32); NaN stays NaN.
 * Other modes use Math.exp.
 */
function expLines(t: string, name: string, inline: boolean): string {
  if (!inline) return `const ${name} = Math.exp(${t});`;
  const u = `${name}_t`;
  const n = `${name}_n`;
  const r = `${name}_r`;
  const poly = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040]
    .map((c) => String(Math.fround(c)))
    .reduceRight((acc, c) => (acc === '' ? c : `${c} + ${r} * (${acc})`), '');
  return `const ${u} = Math.max(${t}, -104);
const ${n} = Math.floor(${u} * 1.4426950408889634 + 0.5);
const ${r} = ${u} - ${n} * 0.693359375 + ${n} * 0.00021219444;
const ${name} = (${poly}) * this.constants.pow2[${n} + 150];`;
}

/**
 * Per row: [max, sum of exp(x - max)]. Rows whose max is not finite (a NaN, a +Infinity, all -Infinity)
 * are recomputed by the cpu kernel afterwards, so the exp here only sees arguments <= 0.
 */
function softmaxStatsSource(cols: number, inlineExp: boolean): string {
  return `function (x) {
const r = this.thread.x;
${rowMaxLines(cols)}
let s = 0;
for (let c = 0; c < ${cols}; c++) {
${expLines('x[r][c] - mx', 'e', inlineExp)}
s += e;
}
return [mx, s];
}`;
}

/** Thread (x = column, y = row): exp(x - max) / sum with the row's stats. */
function softmaxApplySource(inlineExp: boolean): string {
  return `function (x, stats) {
const r = this.thread.y;
${expLines('x[r][this.thread.x] - stats[r][0]', 'e', inlineExp)}
return e / stats[r][1];
}`;
}

/** Per row: max + log(sum exp(x - max)); a non-finite max (all -Infinity, +Infinity, NaN) is the answer. */
function logSumExpSource(cols: number, inlineExp: boolean): string {
  return `function (x) {
const r = this.thread.x;
${rowMaxLines(cols)}
if (mx > -Infinity && mx < Infinity) {
let s = 0;
for (let c = 0; c < ${cols}; c++) {
${expLines('x[r][c] - mx', 'e', inlineExp)}
s += e;
}
return mx + Math.log(s);
}
return mx;
}`;
}

// ---------------------------------------------------------------------------------------------------------
// Results. webasm produces one fresh flat Float32Array per run and then cuts it into nested row views; the
// kernels here ask it to skip that (see `keepFlat`), other modes return nested arrays that are flattened.

function isNumberArrayLike(value: unknown): value is ArrayLike<number> {
  return value instanceof Float32Array || (Array.isArray(value) && (value.length === 0 || typeof value[0] === 'number'));
}

/** Copies a nested gpu.js result (arrays of arrays of Float32Array or number[]) into `out` from `offset`. */
function flattenInto(value: unknown, out: Float32Array, offset: number): number {
  if (isNumberArrayLike(value)) {
    if (value instanceof Float32Array) out.set(value, offset);
    else for (let i = 0; i < value.length; i++) out[offset + i] = value[i]!;
    return offset + value.length;
  }
  if (Array.isArray(value)) {
    for (const item of value) offset = flattenInto(item, out, offset);
    return offset;
  }
  throw new Error(`gpujs: unexpected kernel result of type ${typeof value}`);
}

/** The flat float32 data of a kernel result of `length` values: the result itself when it already is. */
function flatResult(result: unknown, length: number): Float32Array {
  if (result instanceof Float32Array && result.length === length) return result;
  const out = new Float32Array(length);
  const end = flattenInto(result, out, 0);
  if (end !== length) throw new Error(`gpujs: kernel returned ${end} values, expected ${length}`);
  return out;
}

function hasShapeOutput(kernel: object): kernel is { _shapeOutput: (data: Float32Array) => unknown } {
  return '_shapeOutput' in kernel && typeof kernel._shapeOutput === 'function';
}

/** The gpu.js mode of a backend kernel instance: its class's static `mode` ('webasm', 'cpu', 'webgl2', ...). */
function kernelMode(kernel: object): string {
  const ctor: unknown = kernel.constructor;
  if (typeof ctor === 'function' && 'mode' in ctor && typeof ctor.mode === 'string') return ctor.mode;
  return 'unknown';
}

/**
 * webasm's run() slices its output region into a fresh Float32Array and then builds an array of row
 * views over it (one subarray per cell for Array(n) returns: 30k+ objects for a 512x256 matmul, about as
 * long as the matmul itself). The views add nothing here, so the instance is told to return the flat data.
 * This leans on a gpu.js 2.24 internal; if it is absent, results are flattened the portable way.
 */
function keepFlat(kernel: GpuKernel): void {
  const inner = kernel.kernel;
  if (kernelMode(inner) === 'webasm' && hasShapeOutput(inner)) inner._shapeOutput = (data) => data;
}

/** A kernel of the cache, and its direct runner (undefined before the first run; null: run the portable way). */
interface CachedKernel {
  kernel: GpuKernel;
  direct: DirectKernel | null | undefined;
}

// ---------------------------------------------------------------------------------------------------------

function batchMode(operandBatch: Shape, batchShape: Shape): BatchMode {
  const count = sizeOf(operandBatch);
  if (count === sizeOf(batchShape) && sizeOf(batchShape) > 0) {
    // Same count after broadcasting means same shape up to leading 1s: offsets are the batch index.
    return 'same';
  }
  return count === 1 ? 'one' : 'table';
}

/**
 * Brings the reduced axes together: returns [outer, red, inner] when they already form one block of
 * adjacent axes (no copy), else null (the caller permutes them last first).
 */
function reductionBlock(shape: Shape, axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return [sizeOf(shape), 1, 1];
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length) return null;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

export function createGpujsBackend(opts: GpujsBackendOptions = {}): GpujsBackend {
  const mode: GpujsMode = opts.mode ?? 'webasm';
  const routing: GpujsRouting = { ...DEFAULT_ROUTING, ...opts.routing };
  if (opts.routing && opts.routing.minSumElements === undefined && opts.routing.minRowElements !== undefined) {
    routing.minSumElements = opts.routing.minRowElements;
  }
  const minSumElements = routing.minSumElements ?? routing.minRowElements;
  const threading: GpujsThreading = { ...DEFAULT_THREADING, ...opts.threading };
  const maxCachedKernels = Math.max(1, opts.maxCachedKernels ?? 64);
  const inlineExp = mode === 'webasm';
  const expConstants = inlineExp ? { constants: { pow2: POW2_TABLE } } : {};

  let gpu: Gpu | null = null;
  // Map order is recency order: a hit moves its kernel to the end, eviction takes the first.
  const kernels = new Map<string, CachedKernel>();
  const kernelModes = new Set<string>();
  const fallbackReasons: string[] = [];
  let kernelsBuilt = 0;
  let kernelRuns = 0;
  let cpuRoutes = 0;
  let threadedRuns = 0;
  // Helper threads only serve webasm kernels (other modes have no module to share).
  const requestedThreads = Math.max(1, Math.floor(opts.threads ?? Math.min(8, availableCores())));
  let pool: ThreadPool | null | undefined = mode === 'webasm' && requestedThreads > 1 ? undefined : null;

  function getGpu(): Gpu {
    gpu ??= new GPU({ mode });
    return gpu;
  }

  function getPool(): ThreadPool | null {
    if (pool === undefined) pool = createThreadPool(requestedThreads - 1);
    return pool;
  }

  function destroyKernel(cached: CachedKernel): void {
    if (cached.direct?.sharedId != null) pool?.release(cached.direct.sharedId);
    cached.kernel.destroy();
  }

  /** The cached kernel for `key`, built from `source` on first use. */
  function kernelFor(key: string, source: () => string, settings: () => GpuKernelSettings): CachedKernel {
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
      if (kernels.size <= maxCachedKernels) break;
      kernels.delete(oldestKey);
      destroyKernel(oldest);
    }
    return entry;
  }

  /**
   * Runs a kernel on flat float32 arguments viewed with `sizes` (x fastest). Returns the output's `length`
   * values: a view into the kernel's memory when it ran directly (valid until its next run: callers copy),
   * else a fresh array. `threaded` allows splitting the cells over helper threads.
   */
  function run(cached: CachedKernel, args: readonly Float32Array[], sizes: readonly number[][], length: number, threaded: boolean): Float32Array {
    kernelRuns++;
    const inner = cached.kernel.kernel;
    if (cached.direct === undefined) {
      // The first run builds the kernel; a webasm one is then driven through its module (gpujs-direct.ts).
      const inputs = args.map((data, i) => view(data, [...sizes[i]!]));
      cached.direct = kernelMode(inner) === 'webasm' ? directKernel(inner, inputs, threaded || requestedThreads > 1 ? getPool() : null) : null;
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
  }

  /** A result the caller may keep: `run`'s output copied when it is a view into kernel memory. */
  function fresh(cached: CachedKernel, data: Float32Array): Float32Array {
    return cached.direct ? data.slice() : data;
  }

  function matmul(args: MatmulArgs): TypedArray {
    const { a, b, aBatch, bBatch, batchShape, m, k, n, transA, transB } = args;
    const batches = sizeOf(batchShape);
    const macs = batches * m * n * k;
    const small = macs < routing.minMatmulMacs || m < routing.minMatmulRows || k < routing.minMatmulK;
    if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || macs === 0 || small) {
      cpuRoutes++;
      return cpuBackend.matmul(args);
    }
    // The SIMD lanes run along the kernel's i axis, best when it is a multiple of 4; when only n is, compute
    // C^T = op(B)^T op(A)^T instead, which swaps the operands and flips both transposes.
    const swap = (m % 4 !== 0 && n % 4 === 0) || (m < 4 && n > m);
    const plan: MatmulPlan = swap
      ? { batches, m: n, n: m, k, transA: !transB, transB: !transA, aMode: batchMode(bBatch, batchShape), bMode: batchMode(aBatch, batchShape) }
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
    const kernel = kernelFor(key, () => matmulSource(plan), () => ({ output, returnType: 'Array(4)', loopMaxIterations: k + MATMUL_UNROLL }));
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
    const minElements = op === 'sum' ? minSumElements : routing.minRowElements;
    if (!(x instanceof Float32Array) || x.length < minElements || outSize === 0 || x.length === 0 || axes.length === 0) {
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
    const kernel = kernelFor(key, () => reduceSource(op, red, inner), () => ({ output, loopMaxIterations: red + 1 }));
    const size = inner === 1 ? [red, outer] : [inner, red, outer];
    return fresh(kernel, run(kernel, [data], [size], outSize, x.length >= threading.minRowElements));
  }

  function softmaxRows(x: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray {
    const size = rows * cols;
    if (!(x instanceof Float32Array) || mask || size < routing.minSoftmaxElements || size === 0 || Math.max(rows, cols) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.softmaxRows(x, rows, cols, mask);
    }
    const threaded = size >= threading.minRowElements;
    const statsKernel = kernelFor(`softmax-stats|${rows}|${cols}`, () => softmaxStatsSource(cols, inlineExp), () => ({
      output: [rows],
      returnType: 'Array(2)',
      loopMaxIterations: cols + 1,
      ...expConstants,
    }));
    const stats = fresh(statsKernel, run(statsKernel, [x], [[cols, rows]], rows * 2, threaded));
    const applyKernel = kernelFor(`softmax-apply|${rows}|${cols}`, () => softmaxApplySource(inlineExp), () => ({
      output: [cols, rows],
      ...expConstants,
    }));
    const out = fresh(applyKernel, run(applyKernel, [x, stats], [[cols, rows], [2, rows]], rows * cols, threaded));
    // Rows without a finite max take the reference kernel's answer (NaN, or the Infinity/Infinity cases).
    for (let r = 0; r < rows; r++) {
      if (!Number.isFinite(stats[2 * r]!)) out.set(cpuBackend.softmaxRows(x.subarray(r * cols, (r + 1) * cols), 1, cols), r * cols);
    }
    return out;
  }

  function logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray {
    const size = rows * cols;
    if (!(x instanceof Float32Array) || size < routing.minRowElements || size === 0 || Math.max(rows, cols) >= MAX_INDEX) {
      cpuRoutes++;
      return cpuBackend.logSumExpRows(x, rows, cols);
    }
    const kernel = kernelFor(`lse|${rows}|${cols}`, () => logSumExpSource(cols, inlineExp), () => ({
      output: [rows],
      loopMaxIterations: cols + 1,
      ...expConstants,
    }));
    return fresh(kernel, run(kernel, [x], [[cols, rows]], rows, size >= threading.minRowElements));
  }

  /** Delegates a kernel to the cpu backend, counting the call. */
  function delegate<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      cpuRoutes++;
      return fn(...args);
    };
  }

  return {
    name: 'gpujs',
    unary: delegate(cpuBackend.unary),
    binary: delegate(cpuBackend.binary),
    permute: delegate(cpuBackend.permute),
    gather: delegate(cpuBackend.gather),
    scatterAdd: delegate(cpuBackend.scatterAdd),
    // The fused elementwise and row kernels are memory-bound single passes (GELU's tanh has no wasm opcode):
    // a launch would cost what it saves.
    gelu: delegate(cpuBackend.gelu),
    geluGrad: delegate(cpuBackend.geluGrad),
    layerNormRows: delegate(cpuBackend.layerNormRows),
    layerNormRowsGrad: delegate(cpuBackend.layerNormRowsGrad),
    softmaxRowsGrad: delegate(cpuBackend.softmaxRowsGrad),
    crossEntropyRows: delegate(cpuBackend.crossEntropyRows),
    crossEntropyRowsGrad: delegate(cpuBackend.crossEntropyRowsGrad),
    reduce,
    matmul,
    softmaxRows,
    logSumExpRows,
    info: () => ({
      requestedMode: mode,
      gpuMode: gpu ? gpu.mode : null,
      kernelModes: [...kernelModes],
      kernelsBuilt,
      kernelRuns,
      cpuRoutes,
      threads: pool ? pool.helpers + 1 : 1,
      threadedRuns,
      helperChunks: pool ? pool.helperChunks() : 0,
      threadErrors: pool ? pool.errors() : [],
      cachedKernels: kernels.size,
      fallbackReasons: [...fallbackReasons],
    }),
    destroy: () => {
      for (const kernel of kernels.values()) destroyKernel(kernel);
      kernels.clear();
      pool?.destroy();
      pool = mode === 'webasm' && requestedThreads > 1 ? undefined : null;
      if (gpu) void gpu.destroy();
      gpu = null;
    },
  };
}

/**
 * The kernel wrote C (or C^T when `swap`) as [batch][block of 4 columns][row][4]; this lays it out as
 * row-major [batch][m][n], dropping the padding columns of the last block.
 */
function unpackMatmul(data: Float32Array, batches: number, rows: number, cols: number, blocks: number, swap: boolean, bias: Float32Array | null): Float32Array {
  const out = new Float32Array(batches * rows * cols);
  for (let z = 0; z < batches; z++) {
    const outBase = z * rows * cols;
    for (let jb = 0; jb < blocks; jb++) {
      const width = Math.min(4, cols - jb * 4);
      const src = (z * blocks + jb) * rows * 4;
      if (swap) {
        // C^T[i][j] = C[j][i]: row i of the kernel's result is column i of C (C has `cols` rows here).
        // The bias runs along C's columns, which are the kernel's rows here.
        for (let c = 0; c < width; c++) {
          const dst = outBase + (jb * 4 + c) * rows;
          if (bias) for (let i = 0; i < rows; i++) out[dst + i] = data[src + i * 4 + c]! + bias[i]!;
          else for (let i = 0; i < rows; i++) out[dst + i] = data[src + i * 4 + c]!;
        }
      } else if (width === 4) {
        // A full block: four values per row (the common case, written out).
        const j = jb * 4;
        const [b0, b1, b2, b3] = bias ? [bias[j]!, bias[j + 1]!, bias[j + 2]!, bias[j + 3]!] : [0, 0, 0, 0];
        let dst = outBase + j;
        for (let i = 0, s = src; i < rows; i++, s += 4, dst += cols) {
          out[dst] = data[s]! + b0;
          out[dst + 1] = data[s + 1]! + b1;
          out[dst + 2] = data[s + 2]! + b2;
          out[dst + 3] = data[s + 3]! + b3;
        }
      } else {
        for (let i = 0; i < rows; i++) {
          const dst = outBase + i * cols + jb * 4;
          for (let c = 0; c < width; c++) out[dst + c] = data[src + i * 4 + c]! + (bias ? bias[jb * 4 + c]! : 0);
        }
      }
    }
  }
  return out;
}

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

/**
 * The backend that `setBackend('gpujs')` selects, created (GPU object and all) on first use, with the threads
 * SELM_GPUJS_THREADS asks for (default: the available cores).
 */
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
