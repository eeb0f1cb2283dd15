/** The transformer's feed-forward part: Linear -> GELU (tanh form, GPT-2) -> Linear -> dropout. */
import { dropout, geluFused, type Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { AttentionOptions } from './attention.js';

export class MLP extends Module {
  readonly fc: Linear;
  readonly proj: Linear;
  readonly dropoutP: number;

  constructor(width: number, hidden: number, options: AttentionOptions) {
    super();
    this.dropoutP = options.dropout ?? 0;
    this.fc = this.addModule('fc', new Linear(width, hidden, options));
    this.proj = this.addModule('proj', new Linear(hidden, width, { ...options, std: options.projectionStd ?? options.std }));
  }

  forward(x: Tensor, generator: AttentionOptions['generator']): Tensor {
    // The fused GELU computes the composite `gelu` in one pass (checked against it in test/autograd/fused.test.ts).
    const h = geluFused(this.fc.forward(x));
    return dropout(this.proj.forward(h), this.dropoutP, { training: this.training, generator });
  }
}
