/** The token batches every engine trains on: the same seeded random tokens for ours and the peers. */
import { Generator } from '../src/autograd/index.js';
import type { ModelDims } from './dims.js';

export interface TokenBatch {
  /** [batch, context] input tokens, row-major. */
  inputs: Int32Array;
  /** [batch, context] next-token targets, row-major. */
  targets: Int32Array;
  batch: number;
  context: number;
}

/** Random token streams cut into (input, next-token target) pairs, drawn from a seeded generator. */
export function makeBatches(dims: ModelDims, count: number, seed: number): TokenBatch[] {
  const gen = new Generator(seed);
  const { batch, context, vocab } = dims;
  return Array.from({ length: count }, () => {
    const inputs = new Int32Array(batch * context);
    const targets = new Int32Array(batch * context);
    for (let b = 0; b < batch; b++) {
      let token = Math.floor(gen.random() * vocab);
      for (let t = 0; t < context; t++) {
        const next = Math.floor(gen.random() * vocab);
        inputs[b * context + t] = token;
        targets[b * context + t] = next;
        token = next;
      }
    }
    return { inputs, targets, batch, context };
  });
}
