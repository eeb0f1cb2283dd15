/**
 * The reference GPT written again in TensorFlow.js, to time the same training step on TensorFlow.js's wasm and
 * cpu backends. Same architecture as src/nn's GPT (nanoGPT's): token + learned position embeddings, pre-LayerNorm
 * blocks of causal multi-head self-attention scaled by 1/sqrt(head_dim) and a GELU (tanh form) MLP, a final
 * LayerNorm, output logits through the tied token embedding; mean cross-entropy; AdamW (tf.train.adam plus
 * decoupled weight decay on the decayed parameters, applied as PyTorch's AdamW does: p <- p (1 - lr wd), then
 * the Adam update from the gradient of the undecayed p), after clipping the global gradient norm as
 * src/nn's trainStep does (torch.nn.utils.clip_grad_norm_). Float32, no dropout.
 */
import type { ModelDims } from '../dims.js';
import { tf } from './tfjs-setup.js';

export interface TfGptOptions {
  dims: ModelDims;
  /** Linear layers carry biases (nanoGPT's default, GPT-2's layout). */
  bias: boolean;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Which parameters weight decay applies to, by name (see `paramSpecs`). */
  decays: (name: string, shape: readonly number[]) => boolean;
  seed: number;
  layerNormEps: number;
  /** Clip the global gradient norm to this (Infinity: no clipping). */
  maxGradNorm: number;
  /** Start from these weights (by parameter name) instead of the seeded initialisation. */
  initial?: ReadonlyMap<string, Float32Array>;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Normal with this std, or a constant. */
  init: { std: number } | { value: number };
}

/**
 * The parameters, named and laid out as src/nn's GPT names them (Linear weights [out, in], used as x W^T), with
 * nanoGPT's initialisation (std 0.02; residual projections 0.02/sqrt(2L)).
 */
export function paramSpecs(dims: ModelDims, bias: boolean): ParamSpec[] {
  const { vocab: V, context: T, width: C, layers: L, mlp: M } = dims;
  const normal = (std: number): ParamSpec['init'] => ({ std });
  const constant = (value: number): ParamSpec['init'] => ({ value });
  const residual = 0.02 / Math.sqrt(2 * L);
  const specs: ParamSpec[] = [
    { name: 'wte.weight', shape: [V, C], init: normal(0.02) },
    { name: 'wpe.weight', shape: [T, C], init: normal(0.02) },
  ];
  const linear = (name: string, inDim: number, outDim: number, std: number): void => {
    specs.push({ name: `${name}.weight`, shape: [outDim, inDim], init: normal(std) });
    if (bias) specs.push({ name: `${name}.bias`, shape: [outDim], init: constant(0) });
  };
  const norm = (name: string): void => {
    specs.push({ name: `${name}.weight`, shape: [C], init: constant(1) }, { name: `${name}.bias`, shape: [C], init: constant(0) });
  };
  for (let l = 0; l < L; l++) {
    norm(`blocks.${l}.ln1`);
    linear(`blocks.${l}.attn.qkv`, C, 3 * C, 0.02);
    linear(`blocks.${l}.attn.proj`, C, C, residual);
    norm(`blocks.${l}.ln2`);
    linear(`blocks.${l}.mlp.fc`, C, M, 0.02);
    linear(`blocks.${l}.mlp.proj`, M, C, residual);
  }
  norm('lnF');
  return specs;
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * w + b, variance biased as in PyTorch. */
export function tfLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form, composed exactly as src/autograd's gelu. */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

let modelCount = 0;

export class TfGpt {
  readonly dims: ModelDims;
  readonly bias: boolean;
  readonly layerNormEps: number;
  /** The trainable variables by parameter name. */
  readonly params = new Map<string, tf.Variable>();
  /** 0 on and below the diagonal, -1e9 above it: added to the attention scores (the causal mask). */
  private readonly maskBias: tf.Tensor;

  constructor(dims: ModelDims, bias: boolean, seed: number, layerNormEps = 1e-5) {
    if (dims.width % dims.heads !== 0) throw new Error(`TfGpt: width ${dims.width} is not divisible by ${dims.heads} heads`);
    this.dims = dims;
    this.bias = bias;
    this.layerNormEps = layerNormEps;
    // Variable names are global in TensorFlow.js's engine: a prefix keeps several models apart.
    const prefix = `tfgpt${modelCount++}/`;
    let s = seed;
    for (const spec of paramSpecs(dims, bias)) {
      const init =
        'std' in spec.init ? tf.randomNormal(spec.shape, 0, spec.init.std, 'float32', s++) : tf.fill(spec.shape, spec.init.value);
      this.params.set(spec.name, tf.variable(init, true, prefix + spec.name, 'float32'));
      init.dispose();
    }
    const T = dims.context;
    this.maskBias = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
  }

  /** Overwrites parameters with given values (row-major float32), e.g. to start from our model's weights. */
  load(values: ReadonlyMap<string, Float32Array>): void {
    const missing = [...this.params.keys()].filter((name) => !values.has(name));
    if (missing.length > 0 || values.size !== this.params.size) {
      throw new Error(
        `TfGpt.load: names differ (missing: ${missing.join(', ') || 'none'}; given ${values.size}, have ${this.params.size})`,
      );
    }
    for (const [name, data] of values) {
      const v = this.p(name);
      if (data.length !== v.size) throw new Error(`TfGpt.load: ${name} has ${data.length} values, expected ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  paramCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`TfGpt: no parameter '${name}'`);
    return v;
  }

  private linear(x: tf.Tensor, name: string): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, this.p(`${name}.weight`) as tf.Tensor2D, false, true);
    return this.bias ? tf.add(y, this.p(`${name}.bias`)) : y;
  }

  private norm(x: tf.Tensor, name: string): tf.Tensor {
    return tfLayerNorm(x, this.p(`${name}.weight`), this.p(`${name}.bias`), this.layerNormEps);
  }

  /**
   * Rows of the token embedding for flat ids [N] -> [N, C]. tf.gather's gradient is UnsortedSegmentSum, which
   * the wasm backend does not implement (4.22), so there the gradient is the same scatter-add written as a
   * dense one-hot product, dW = onehot(ids)^T dY (a [V, N] x [N, C] matmul); the cpu backend keeps gather's.
   */
  private embed(ids: tf.Tensor1D): tf.Tensor {
    const table = this.p('wte.weight');
    if (tf.getBackend() !== 'wasm') return tf.gather(table, ids);
    const vocab = this.dims.vocab;
    const lookup = tf.customGrad((...inputs) => {
      const w = inputs[0] as tf.Tensor;
      return {
        value: tf.gather(w, ids),
        gradFunc: (dy: tf.Tensor) => tf.matMul(tf.oneHot(ids, vocab, 1, 0, 'float32'), dy as tf.Tensor2D, true, false),
      };
    });
    return lookup(table) as tf.Tensor;
  }

  /** Logits [B*T, V] for tokens [B, T] (int32, T <= context). */
  logits(tokens: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = tokens.shape;
    const { width: C, heads: H } = this.dims;
    const hd = C / H;
    const N = B * T;
    const positions = tf.slice(this.p('wpe.weight'), [0, 0], [T, C]);
    let x = tf.add(this.embed(tf.reshape(tokens, [N]) as tf.Tensor1D), tf.tile(positions, [B, 1]));
    const mask = T === this.dims.context ? this.maskBias : tf.slice(this.maskBias, [0, 0], [T, T]);
    const toHeads = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]);
    for (let l = 0; l < this.dims.layers; l++) {
      const qkv = this.linear(this.norm(x, `blocks.${l}.ln1`), `blocks.${l}.attn.qkv`);
      const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const scores = tf.add(tf.mul(tf.matMul(toHeads(q), toHeads(k), false, true), 1 / Math.sqrt(hd)), mask);
      const att = tf.matMul(tf.softmax(scores), toHeads(v));
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [N, C]);
      x = tf.add(x, this.linear(merged, `blocks.${l}.attn.proj`));
      const hidden = gelu(this.linear(this.norm(x, `blocks.${l}.ln2`), `blocks.${l}.mlp.fc`));
      x = tf.add(x, this.linear(hidden, `blocks.${l}.mlp.proj`));
    }
    // Tied output: logits = lnF(x) wte^T.
    return tf.matMul(this.norm(x, 'lnF') as tf.Tensor2D, this.p('wte.weight') as tf.Tensor2D, false, true);
  }

  /** Mean cross-entropy of next-token targets [B, T] (int32). */
  loss(tokens: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    const logits = this.logits(tokens);
    const labels = tf.oneHot(tf.reshape(targets, [-1]) as tf.Tensor1D, this.dims.vocab);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.maskBias.dispose();
  }
}

export interface TfTrainer {
  readonly model: TfGpt;
  /** One training step on a batch; returns the loss before the update. */
  step(tokens: tf.Tensor2D, targets: tf.Tensor2D): number;
  dispose(): void;
}

/** Scales the gradients by min(1, maxNorm / (norm + 1e-6)), norm the global L2 norm: in-graph, no sync. */
function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { name: string; tensor: tf.Tensor }[] {
  const names = Object.keys(grads);
  if (maxNorm === Infinity) return names.map((name) => ({ name, tensor: grads[name]! }));
  const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
  const coef = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return names.map((name) => ({ name, tensor: tf.mul(grads[name]!, coef) }));
}

/** AdamW around a TfGpt: gradients by tf.variableGrads, clipping, decoupled decay, then the Adam update. */
export function tfTrainer(options: TfGptOptions): TfTrainer {
  const model = new TfGpt(options.dims, options.bias, options.seed, options.layerNormEps);
  if (options.initial) model.load(options.initial);
  const optimizer = tf.train.adam(options.lr, options.beta1, options.beta2, options.eps);
  const variables = [...model.params.values()];
  const decayed = [...model.params].filter(([name, v]) => options.decays(name, v.shape)).map(([, v]) => v);
  const keep = 1 - options.lr * options.weightDecay;
  return {
    model,
    step(tokens, targets) {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(tokens, targets), variables);
        const clipped = clipByGlobalNorm(grads, options.maxGradNorm);
        if (options.weightDecay !== 0) for (const v of decayed) v.assign(tf.mul(v, keep));
        optimizer.applyGradients(clipped);
        return value;
      });
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}
