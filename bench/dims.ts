/**
 * The reference configs' sizes (issue 3: tiny-gpt and small-gpt), as the bench needs them: to shape the kernel
 * cases and to build the TensorFlow.js peer. The train bench checks them against `makeReferenceConfig` from
 * src/nn, so the two cannot drift apart silently.
 */
import type { ConfigName } from './args.js';

export interface ModelDims {
  vocab: number;
  context: number;
  width: number;
  heads: number;
  layers: number;
  mlp: number;
  batch: number;
}

export const REFERENCE_DIMS: Readonly<Record<ConfigName, ModelDims>> = {
  'tiny-gpt': { vocab: 64, context: 32, width: 64, heads: 4, layers: 2, mlp: 256, batch: 16 },
  'small-gpt': { vocab: 256, context: 64, width: 128, heads: 4, layers: 4, mlp: 512, batch: 8 },
};

/** Tokens in one training batch. */
export function tokensPerStep(d: ModelDims): number {
  return d.batch * d.context;
}
