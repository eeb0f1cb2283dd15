/**
 * Causal multi-head self-attention (GPT-2 / nanoGPT): softmax(q k^T / sqrt(headDim) + mask) v, with one fused
 * q/k/v projection and an output projection. The mask is passed in by the model: `allowed[b, 0, i, j]` is 1
 * when query i may attend to key j (j not in its future, and key j is not padding).
 */
import {
  concat,
  dropout,
  linearFused,
  matmul,
  matmulT,
  mul,
  narrow,
  permute,
  reshape,
  maskedSoftmaxFused,
  softmaxFused,
  type Generator,
  type Tensor,
} from '../../autograd/index.js';
import type { LayerKV } from '../kv-cache.js';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { InitOptions } from './init.js';

/**
 * The score given to disallowed pairs. A finite value rather than -Infinity: a row with every key masked
 * (a padding query with nothing before it) then gets a uniform softmax instead of NaN, and a disallowed key's
 * weight exp(-1e9 - max) is exactly 0 in float32 and float64, so nothing leaks through the mask.
 */
export const MASKED_SCORE = -1e9;

export interface AttentionOptions extends InitOptions {
  /** Standard deviation of the output projection (nanoGPT scales it by 1/sqrt(2 * layers)). */
  projectionStd?: number;
  dropout?: number;
}

export interface AttentionContext {
  /** [B or 1, 1, T, past + T] of 0/1; null when every pair is allowed (one new token, nothing masked). */
  allowed: Tensor | null;
  /** This layer's slot in a KV cache: past keys/values are read from it and the new ones appended. */
  cache: LayerKV | null;
  generator: Generator;
}

export class CausalSelfAttention extends Module {
  readonly headDim: number;
  readonly dropoutP: number;
  readonly qkv: Linear;
  readonly proj: Linear;

  constructor(
    readonly width: number,
    readonly heads: number,
    options: AttentionOptions,
  ) {
    super();
    if (!Number.isInteger(width / heads)) throw new Error(`CausalSelfAttention: width ${width} is not divisible by ${heads} heads`);
    this.headDim = width / heads;
    this.dropoutP = options.dropout ?? 0;
    this.qkv = this.addModule('qkv', new Linear(width, 3 * width, options));
    this.proj = this.addModule('proj', new Linear(width, width, { ...options, std: options.projectionStd ?? options.std }));
  }

  /**
   * q, k or v (part 0, 1, 2) as [B, H, T, D]: the input times that part's rows of the fused qkv weight (and
   * bias), scaled by `scale`. Slicing the small [width, width] weight instead of the [B, T, 3 width] product
   * keeps the backward pass from padding three activation-sized gradients back into one; scaling the weight
   * rather than q (or the scores) is the same product on far fewer numbers.
   */
  private project(flat: Tensor, B: number, T: number, part: number, scale: number): Tensor {
    const { width, heads, headDim } = this;
    let w = narrow(this.qkv.weight, 0, part * width, width);
    let b = this.qkv.bias ? narrow(this.qkv.bias, 0, part * width, width) : null;
    if (scale !== 1) {
      w = mul(w, scale);
      b = b ? mul(b, scale) : null;
    }
    return permute(reshape(linearFused(flat, w, b), [B, T, heads, headDim]), [0, 2, 1, 3]);
  }

  /** x [B, T, width] -> [B, T, width]. */
  forward(x: Tensor, context: AttentionContext): Tensor {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    if (x.shape[2] !== this.width)
      throw new Error(`CausalSelfAttention: expected input [B, T, ${this.width}], got [${x.shape.join(', ')}]`);
    const flat = reshape(x, [B * T, this.width]);
    const q = this.project(flat, B, T, 0, 1 / Math.sqrt(this.headDim));
    let k = this.project(flat, B, T, 1, 1);
    let v = this.project(flat, B, T, 2, 1);
    const cache = context.cache;
    if (cache) {
      k = cache.k ? concat([cache.k, k], 2) : k;
      v = cache.v ? concat([cache.v, v], 2) : v;
      cache.k = k;
      cache.v = v;
    }
    const scores = matmulT(q, k, false, true); // [B, H, T, past + T]
    // softmax(where(allowed, scores, MASKED_SCORE)), the mask applied inside the fused softmax.
    const probabilities = context.allowed ? maskedSoftmaxFused(scores, context.allowed, MASKED_SCORE) : softmaxFused(scores, -1);
    const weights = dropout(probabilities, this.dropoutP, { training: this.training, generator: context.generator });
    const y = reshape(permute(matmul(weights, v), [0, 2, 1, 3]), [B, T, this.width]);
    return dropout(this.proj.forward(y), this.dropoutP, { training: this.training, generator: context.generator });
  }
}
