/**
 * The GPT as Hugging Face's GPT-2 (transformers, models/gpt2/modeling_gpt2.py), and back. Pure: tensors and
 * JSON in, tensors and JSON out (node/hf-folder.ts writes the folder).
 *
 * The architecture is GPT-2's exactly (pre-LayerNorm blocks, tanh GELU = `gelu_new`, learned positions,
 * LayerNorm eps 1e-5, fused q|k|v, tied head), so only names and layouts change:
 *   wte.weight                      -> transformer.wte.weight
 *   wpe.weight                      -> transformer.wpe.weight
 *   blocks.i.ln1.{weight,bias}      -> transformer.h.i.ln_1.{weight,bias}
 *   blocks.i.attn.qkv.weight [3C,C] -> transformer.h.i.attn.c_attn.weight [C,3C]   (Conv1D: transposed)
 *   blocks.i.attn.proj.weight       -> transformer.h.i.attn.c_proj.weight            (transposed)
 *   blocks.i.ln2.*                  -> transformer.h.i.ln_2.*
 *   blocks.i.mlp.fc.weight [M,C]    -> transformer.h.i.mlp.c_fc.weight [C,M]         (transposed)
 *   blocks.i.mlp.proj.weight [C,M]  -> transformer.h.i.mlp.c_proj.weight [M,C]       (transposed)
 *   lnF.*                           -> transformer.ln_f.*
 *   lmHead.weight (untied only)     -> lm_head.weight (nn.Linear in GPT-2 too: not transposed)
 * GPT-2's Conv1D computes x W + b with W [in, out] (transformers pytorch_utils.py, `Conv1D`), our Linear
 * x W^T + b with W [out, in]; biases are the same. Weights are written as float32.
 */
import { Tensor } from '../autograd/index.js';
import { resolveGPTConfig, type GPTConfig, type ResolvedGPTConfig } from './gpt.js';
import { BOS_ID, EOS_ID, PAD_ID } from './tokenizer.js';

/** Project parameter names whose Conv1D counterpart is stored transposed. */
const CONV1D = /^blocks\.\d+\.(attn\.qkv|attn\.proj|mlp\.fc|mlp\.proj)\.weight$/;

const RENAMES: [RegExp, string][] = [
  [/^wte\./, 'transformer.wte.'],
  [/^wpe\./, 'transformer.wpe.'],
  [/^lnF\./, 'transformer.ln_f.'],
  [/^lmHead\./, 'lm_head.'],
  [/^blocks\.(\d+)\.ln1\./, 'transformer.h.$1.ln_1.'],
  [/^blocks\.(\d+)\.ln2\./, 'transformer.h.$1.ln_2.'],
  [/^blocks\.(\d+)\.attn\.qkv\./, 'transformer.h.$1.attn.c_attn.'],
  [/^blocks\.(\d+)\.attn\.proj\./, 'transformer.h.$1.attn.c_proj.'],
  [/^blocks\.(\d+)\.mlp\.fc\./, 'transformer.h.$1.mlp.c_fc.'],
  [/^blocks\.(\d+)\.mlp\.proj\./, 'transformer.h.$1.mlp.c_proj.'],
];

/** The Hugging Face name of a project parameter. */
export function hfName(name: string): string {
  for (const [pattern, replacement] of RENAMES) if (pattern.test(name)) return name.replace(pattern, replacement);
  throw new Error(`hf-gpt2: no GPT-2 name for parameter '${name}'`);
}

/** A 2-d tensor's transpose, as float32. */
function transpose2d(t: Tensor): Tensor {
  const [rows, cols] = [t.shape[0]!, t.shape[1]!];
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = t.data[i * cols + j]!;
  return new Tensor(out, [cols, rows]);
}

const asFloat32 = (t: Tensor): Tensor => new Tensor(t.dtype === 'float32' ? Float32Array.from(t.data) : Float32Array.from(t.data), t.shape);

/** The model's parameters under GPT-2's names and layouts, float32. */
export function toHfStateDict(named: Iterable<[string, Tensor]>): [string, Tensor][] {
  return [...named].map(([name, t]) => [hfName(name), CONV1D.test(name) ? transpose2d(t) : asFloat32(t)]);
}

/**
 * GPT-2 tensors back under the project's names (and layouts), for a model of `config`. `lm_head.weight` of a
 * tied model is ignored (it is wte); GPT-2's non-persistent `attn.bias` / `attn.masked_bias` buffers, which old
 * checkpoints carry, are skipped. Anything else unknown is an error naming it.
 */
export function fromHfStateDict(tensors: ReadonlyMap<string, Tensor>, config: ResolvedGPTConfig): Record<string, Tensor> {
  const wanted = new Map<string, string>();
  const names = ['wte.weight', 'wpe.weight', 'lnF.weight', 'lnF.bias'];
  for (let i = 0; i < config.layers; i++) {
    for (const part of ['ln1', 'ln2', 'attn.qkv', 'attn.proj', 'mlp.fc', 'mlp.proj'])
      names.push(`blocks.${i}.${part}.weight`, `blocks.${i}.${part}.bias`);
  }
  if (!config.tiedEmbeddings) names.push('lmHead.weight');
  for (const n of names) wanted.set(hfName(n), n);
  const out: Record<string, Tensor> = {};
  const unknown: string[] = [];
  for (const [hf, t] of tensors) {
    const name = wanted.get(hf) ?? wanted.get(`transformer.${hf}`);
    if (name === undefined) {
      if (/\.attn\.(bias|masked_bias)$/.test(hf) || (hf === 'lm_head.weight' && config.tiedEmbeddings)) continue;
      unknown.push(hf);
      continue;
    }
    out[name] = CONV1D.test(name) ? transpose2d(t) : t;
  }
  const missing = names.filter((n) => !(n in out));
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.map(hfName).slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`] : []),
      ...(unknown.length > 0 ? [`unknown ${unknown.slice(0, 5).join(', ')}`] : []),
    ];
    throw new Error(`hf-gpt2: the weights do not fit a GPT-2 of this config: ${parts.join('; ')}`);
  }
  return out;
}

/** config.json of GPT2LMHeadModel for a project model. */
export function gpt2ConfigJson(config: ResolvedGPTConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.contextLength,
    n_ctx: config.contextLength,
    n_embd: config.width,
    n_layer: config.layers,
    n_head: config.heads,
    n_inner: config.mlpWidth,
    activation_function: 'gelu_new',
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: config.tiedEmbeddings,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
    pad_token_id: PAD_ID,
    torch_dtype: 'float32',
    use_cache: true,
  };
}

/** A project model config from a GPT-2 config.json; what this GPT cannot represent is an error naming the field. */
export function gptConfigFromHf(raw: unknown, where = 'config.json'): GPTConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: not a JSON object`);
  const c = raw as Record<string, unknown>;
  if (c.model_type !== undefined && c.model_type !== 'gpt2')
    throw new Error(`${where}: model_type '${String(c.model_type)}' is not 'gpt2'`);
  const int = (key: string): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new Error(`${where}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = c.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh')
    throw new Error(`${where}: activation_function '${String(act)}' is not the tanh GELU this GPT computes`);
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (eps !== 1e-5) throw new Error(`${where}: layer_norm_epsilon ${String(eps)} is not 1e-5`);
  for (const key of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn'])
    if (c[key] === true) throw new Error(`${where}: ${key} is not supported`);
  if (c.scale_attn_weights === false) throw new Error(`${where}: scale_attn_weights false is not supported`);
  const width = int('n_embd');
  const inner = c.n_inner === null || c.n_inner === undefined ? 4 * width : int('n_inner');
  const config: GPTConfig = {
    vocabSize: int('vocab_size'),
    contextLength: int('n_positions'),
    width,
    heads: int('n_head'),
    layers: int('n_layer'),
    mlpWidth: inner,
    tiedEmbeddings: c.tie_word_embeddings !== false,
  };
  resolveGPTConfig(config);
  return config;
}
