/**
 * The slice of gpu.js this backend uses, typed as it behaves at run time (gpu.js's own declarations type
 * `input`'s values as number[], though typed arrays are what it is built for, and declare `input` as a type
 * only), and the helpers that read a built kernel instance: its mode, and the flat-output switch.
 */
import gpujs from 'gpu.js';

/** gpu.js modes a caller may pin. 'gpu' and 'async' (auto-selection) are deliberately not offered. */
export type GpujsMode = 'webasm' | 'cpu' | 'webgl' | 'webgl2' | 'headlessgl' | 'webgpu';

export interface GpuInput {
  readonly size: readonly number[];
}

export interface GpuKernel {
  (...args: GpuInput[]): unknown;
  /** The backend kernel instance that runs; gpu.js replaces it when it degrades a kernel to cpu. */
  kernel: object;
  destroy(removeCanvasReferences?: boolean): void;
}

export interface GpuKernelSettings {
  output: number[];
  returnType?: 'Number' | 'Array(2)' | 'Array(4)';
  loopMaxIterations?: number;
  constants?: Record<string, Float32Array>;
  precision?: 'single';
}

export interface Gpu {
  readonly mode: string;
  createKernel(source: string, settings: GpuKernelSettings): GpuKernel;
  destroy(): Promise<void>;
}

interface GpujsModule {
  GPU: new (settings: { mode: GpujsMode }) => Gpu;
  Input: new (value: Float32Array, size: number[]) => GpuInput;
}

export const { GPU, Input } = gpujs as unknown as GpujsModule;

/** A 2-D or 3-D view of a flat array, x (the first size) fastest, so `v[y][x]` indexes it in the kernel. */
export function view(data: Float32Array, size: number[]): GpuInput {
  return new Input(data, size);
}

// gpu.js does index arithmetic in float32 in places; every single index component must stay below 2^24.
export const MAX_INDEX = 1 << 24;

function hasShapeOutput(kernel: object): kernel is { _shapeOutput: (data: Float32Array) => unknown } {
  return '_shapeOutput' in kernel && typeof kernel._shapeOutput === 'function';
}

/** The gpu.js mode of a backend kernel instance: its class's static `mode` ('webasm', 'cpu', 'webgl2', ...). */
export function kernelMode(kernel: object): string {
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
export function keepFlat(kernel: GpuKernel): void {
  const inner = kernel.kernel;
  if (kernelMode(inner) === 'webasm' && hasShapeOutput(inner)) inner._shapeOutput = (data) => data;
}
