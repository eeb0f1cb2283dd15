/** Embedding: a [count, dim] table looked up by integer ids. */
import { embedding, reshape, type Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { normalWeight, type InitOptions } from './init.js';

export class Embedding extends Module {
  constructor(
    readonly count: number,
    readonly dim: number,
    options: InitOptions,
  ) {
    super();
    this.addParameter('weight', normalWeight([count, dim], options));
  }

  get weight(): Tensor {
    return this.parameter('weight');
  }

  /** Rows of the table for flat `ids`, shaped `shape` + [dim]. */
  forward(ids: Int32Array, shape: readonly number[]): Tensor {
    return reshape(embedding(this.weight, ids), [...shape, this.dim]);
  }
}
