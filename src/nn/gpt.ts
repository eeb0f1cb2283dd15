/**
 * GPT: the decoder-only transformer of GPT-2 / nanoGPT, small enough to read in one sitting.
 *
 *   x = dropout(wte[ids] + wpe[positions]);  x = block_l(x) for each layer;  logits = lnF(x) W_out^T
 *
 * with pre-LayerNorm blocks, causal attention, and the output matrix tied to the token embedding by default.
 * Initialised as nanoGPT does: weights N(0, 0.02), the two residual projections of each block
 * N(0, 0.02 / sqrt(2 * layers)), biases 0, LayerNorm weight 1 and bias 0, all drawn from one explicit
 * Generator. The same code builds a float32 model (training) or a float64 one (gradient checks).
 */
import { add, astype, dropout, matmulT, reshape, Generator, type DType, type Tensor } from '../autograd/index.js';
import { buildAttentionMask } from './attention-mask.js';
import { KVCache } from './kv-cache.js';
import { Block } from './layers/block.js';
import { Embedding } from './layers/embedding.js';
import { LayerNorm } from './layers/layer-norm.js';
import { Linear } from './layers/linear.js';
import { DEFAULT_STD } from './layers/init.js';
import { Module, ModuleList } from './module.js';
import { toMask, toTokenMatrix, type MaskBatch, type TokenBatch } from './tokens.js';

export interface GPTConfig {
  vocabSize: number;
  /** The most positions the model can attend over (the size of the position table). */
  contextLength: number;
  /** The residual stream's width (n_embd). */
  width: number;
  heads: number;
  layers: number;
  /** Hidden width of the MLP as a multiple of `width` (default 4); ignored when `mlpWidth` is set. */
  mlpRatio?: number;
  mlpWidth?: number;
  /** Dropout on embeddings, attention weights and residual branches while training (default 0). */
  dropout?: number;
  /** Share the token embedding with the output layer (default true, as GPT-2). */
  tiedEmbeddings?: boolean;
  /** float32 to train, float64 to verify (default float32). */
  dtype?: DType;
}

export type ResolvedGPTConfig = Required<Omit<GPTConfig, 'mlpRatio'>>;

export function resolveGPTConfig(config: GPTConfig): ResolvedGPTConfig {
  const resolved: ResolvedGPTConfig = {
    vocabSize: config.vocabSize,
    contextLength: config.contextLength,
    width: config.width,
    heads: config.heads,
    layers: config.layers,
    mlpWidth: config.mlpWidth ?? Math.round((config.mlpRatio ?? 4) * config.width),
    dropout: config.dropout ?? 0,
    tiedEmbeddings: config.tiedEmbeddings ?? true,
    dtype: config.dtype ?? 'float32',
  };
  for (const key of ['vocabSize', 'contextLength', 'width', 'heads', 'layers', 'mlpWidth'] as const) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`GPT: config.${key} must be a positive integer, got ${v}`);
  }
  if (resolved.width % resolved.heads !== 0) throw new Error(`GPT: width ${resolved.width} is not divisible by ${resolved.heads} heads`);
  if (!(resolved.dropout >= 0 && resolved.dropout < 1)) throw new Error(`GPT: dropout must be in [0, 1), got ${resolved.dropout}`);
  return resolved;
}

export interface ForwardOptions {
  /** [B, T] with 1 for real tokens and 0 for padding: padding keys are never attended to. */
  paddingMask?: MaskBatch;
  /** Incremental decoding: past keys/values are read from the cache and this call's are appended. */
  kvCache?: KVCache;
}

export class GPT extends Module {
  readonly config: ResolvedGPTConfig;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly blocks: ModuleList<Block>;
  readonly lnF: LayerNorm;
  readonly lmHead: Linear | null;
  /** Dropout's own stream, forked from the init generator after the weights are drawn. */
  readonly dropoutGenerator: Generator;

  constructor(config: GPTConfig, generator: Generator) {
    super();
    const c = (this.config = resolveGPTConfig(config));
    const init = { dtype: c.dtype, generator, dropout: c.dropout };
    const projectionStd = DEFAULT_STD / Math.sqrt(2 * c.layers);
    this.wte = this.addModule('wte', new Embedding(c.vocabSize, c.width, init));
    this.wpe = this.addModule('wpe', new Embedding(c.contextLength, c.width, init));
    const blocks = Array.from({ length: c.layers }, () => new Block(c.width, c.heads, c.mlpWidth, { ...init, projectionStd }));
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.lnF = this.addModule('lnF', new LayerNorm(c.width, c.dtype));
    this.lmHead = c.tiedEmbeddings ? null : this.addModule('lmHead', new Linear(c.width, c.vocabSize, { ...init, bias: false }));
    this.dropoutGenerator = generator.fork();
  }

  /** A fresh cache for incremental decoding of a batch of `batch` rows. */
  createCache(batch: number): KVCache {
    return new KVCache(batch, this.config.layers);
  }

  /** ids [B, T] -> logits [B, T, vocabSize]. */
  forward(ids: TokenBatch, options: ForwardOptions = {}): Tensor {
    const { vocabSize, width } = this.config;
    const x = this.features(ids, options);
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    return this.lmHead
      ? this.lmHead.forward(x)
      : reshape(matmulT(reshape(x, [B * T, width]), this.wte.weight, false, true), [B, T, vocabSize]);
  }

  /** ids [B, T] -> the final LayerNorm's output [B, T, width]: the trunk a reward head sits on. */
  features(ids: TokenBatch, options: ForwardOptions = {}): Tensor {
    const { vocabSize, contextLength } = this.config;
    const { ids: flat, batch: B, length: T } = toTokenMatrix(ids, vocabSize, 'GPT.forward ids');
    if (B === 0 || T === 0) throw new Error(`GPT.forward: ids must be a non-empty [batch, length] batch, got [${B}, ${T}]`);
    const valid = options.paddingMask ? toMask(options.paddingMask, B, T, 'GPT.forward paddingMask') : null;
    const cache = options.kvCache ?? null;
    if (cache && cache.batch !== B) throw new Error(`GPT.forward: the KV cache holds ${cache.batch} rows, the ids have ${B}`);
    if (cache && cache.layers.length !== this.config.layers) throw new Error('GPT.forward: the KV cache was made for another model');

    // Position ids count real tokens only, so a left-padded row gets the same positions as its unpadded self.
    const realCount = cache ? [...cache.realCount] : new Array<number>(B).fill(0);
    const positions = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (valid === null || valid[b * T + t] === 1) {
          if (realCount[b]! >= contextLength) {
            throw new Error(`GPT.forward: row ${b} has more than contextLength = ${contextLength} real tokens`);
          }
          positions[b * T + t] = realCount[b]!++;
        } else {
          positions[b * T + t] = Math.min(realCount[b]!, contextLength - 1);
        }
      }
    }
    const keyValid = Array.from({ length: B }, (_, b) => [
      ...(cache?.keyValid[b] ?? []),
      ...(valid ? Array.from(valid.subarray(b * T, (b + 1) * T)) : new Array<number>(T).fill(1)),
    ]);
    const dtype = this.wte.weight.dtype;
    const allowed = buildAttentionMask(keyValid, T, dtype);

    let x = add(this.wte.forward(flat, [B, T]), this.wpe.forward(positions, [B, T]));
    x = dropout(x, this.config.dropout, { training: this.training, generator: this.dropoutGenerator });
    let i = 0;
    for (const block of this.blocks) {
      x = block.forward(x, { allowed, cache: cache ? cache.layers[i]! : null, generator: this.dropoutGenerator });
      i++;
    }
    x = this.lnF.forward(x);
    if (cache) {
      for (let b = 0; b < B; b++) cache.keyValid[b] = keyValid[b]!;
      cache.realCount.splice(0, B, ...realCount);
    }
    return x;
  }

  /** Casts the weights in place (see Module.to) and keeps `config.dtype` in step. */
  override to(dtype: DType): this {
    super.to(dtype);
    this.config.dtype = dtype;
    return this;
  }

  /**
   * An independent copy with the same weights (optionally in another dtype), e.g. the frozen reference policy
   * pi_ref of SELM's Algorithm 1. `generator` seeds the copy's dropout stream (default seed 0).
   */
  clone(dtype: DType = this.config.dtype, generator = new Generator(0)): GPT {
    const copy = new GPT({ ...this.config, dtype }, generator);
    const state: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) state[name] = astype(p, dtype);
    copy.loadStateDict(state);
    copy.train(this.training);
    return copy;
  }
}
