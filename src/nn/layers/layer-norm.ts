/** LayerNorm over the last dimension, with an affine weight (ones) and bias (zeros). */
import { layerNormFused, type DType, type Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { oneParameter, zeroParameter } from './init.js';

export class LayerNorm extends Module {
  constructor(
    readonly dim: number,
    dtype: DType = 'float32',
    readonly eps = 1e-5,
  ) {
    super();
    this.addParameter('weight', oneParameter([dim], dtype));
    this.addParameter('bias', zeroParameter([dim], dtype));
  }

  get weight(): Tensor {
    return this.parameter('weight');
  }

  get bias(): Tensor {
    return this.parameter('bias');
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.dim) throw new Error(`LayerNorm: expected input [..., ${this.dim}], got [${x.shape.join(', ')}]`);
    // Fused normalisation (one kernel each way), the same function as the composite `layerNorm`.
    return layerNormFused(x, this.weight, this.bias, this.eps);
  }
}
