/**
 * The key/value cache of incremental decoding: per layer, the keys and values [B, heads, past, headDim] of
 * every token seen so far, plus which of those tokens are real (not padding) and how many real tokens each row
 * has seen (the position of its next real token). `GPT.forward` fills it; `generate` creates one per call.
 */
import type { Tensor } from '../autograd/index.js';

export interface LayerKV {
  k: Tensor | null;
  v: Tensor | null;
}

export class KVCache {
  readonly layers: LayerKV[];
  /** keyValid[b][j] is 1 when cached token j of row b is real, 0 when it is padding. */
  readonly keyValid: number[][];
  /** realCount[b]: real tokens row b has seen, which is also the position id of its next real token. */
  readonly realCount: number[];

  constructor(
    readonly batch: number,
    layerCount: number,
  ) {
    this.layers = Array.from({ length: layerCount }, () => ({ k: null, v: null }));
    this.keyValid = Array.from({ length: batch }, () => []);
    this.realCount = new Array<number>(batch).fill(0);
  }

  /** The number of cached tokens per row (padding included). */
  get length(): number {
    return this.keyValid[0]?.length ?? 0;
  }
}
