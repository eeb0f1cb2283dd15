/** Linear: y = x W^T + b, with W stored [out, in] as in PyTorch (so state dicts have PyTorch's layout). */
import { linearFused, reshape, type Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { normalWeight, zeroParameter, type InitOptions } from './init.js';

export interface LinearOptions extends InitOptions {
  /** Add a bias (default true); biases start at zero. */
  bias?: boolean;
}

export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions,
  ) {
    super();
    this.addParameter('weight', normalWeight([outFeatures, inFeatures], options));
    if (options.bias ?? true) this.addParameter('bias', zeroParameter([outFeatures], options.dtype));
  }

  get weight(): Tensor {
    return this.parameter('weight');
  }

  get bias(): Tensor | null {
    return this.optionalParameter('bias');
  }

  /** x [..., in] -> [..., out]. Leading dims are flattened so the product is one 2-d matmul. */
  forward(x: Tensor): Tensor {
    const last = x.shape[x.ndim - 1];
    if (x.ndim < 1 || last !== this.inFeatures) {
      throw new Error(`Linear: expected input [..., ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    const lead = x.shape.slice(0, -1);
    const flat = reshape(x, [-1, this.inFeatures]);
    // x W^T + b in one primitive (the bias added as the product is written out).
    return reshape(linearFused(flat, this.weight, this.bias), [...lead, this.outFeatures]);
  }
}
