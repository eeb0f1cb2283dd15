/** Parameter initialisers shared by the layers; every random draw comes from an explicit Generator. */
import { randn, zeros, ones, type DType, type Generator, type Tensor } from '../../autograd/index.js';

/** How a layer creates its parameters: the dtype, the generator, and the weights' standard deviation. */
export interface InitOptions {
  dtype?: DType;
  generator: Generator;
  /** Standard deviation of the normal weight init (default 0.02, nanoGPT / GPT-2). */
  std?: number;
}

export const DEFAULT_STD = 0.02;

export function normalWeight(shape: readonly number[], options: InitOptions): Tensor {
  return randn(shape, { dtype: options.dtype ?? 'float32', generator: options.generator, std: options.std ?? DEFAULT_STD });
}

export function zeroParameter(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return zeros(shape, { dtype });
}

export function oneParameter(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return ones(shape, { dtype });
}
