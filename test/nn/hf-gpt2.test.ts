/**
 * The Hugging Face export, checked by an independent reader: GPT-2's forward pass written here from the exported
 * folder alone (config.json, the safetensors bytes parsed by hand, Conv1D x W + b, `gelu_new`), in plain
 * TypeScript without src/nn, must give the project's float32 logits to 1e-5; importing the folder gives the
 * same weights bit for bit.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { GPT } from '../../src/nn/gpt.js';
import { hfTokenizerFiles } from '../../src/nn/hf-tokenizer.js';
import { ByteBpeTokenizer } from '../../src/nn/byte-bpe.js';
import { readHfFolder, writeHfFolder } from '../../src/lab/node/hf-folder.js';

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** safetensors by hand: u64 header length, JSON header, little-endian F32 data. */
function readSafetensors(bytes: Buffer): { weights: Weights; metadata: Record<string, string> } {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  > & { __metadata__?: Record<string, string> };
  const weights: Weights = new Map();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = e as { dtype: string; shape: number[]; data_offsets: [number, number] };
    expect(entry.dtype).toBe('F32');
    const raw = bytes.subarray(8 + n + entry.data_offsets[0], 8 + n + entry.data_offsets[1]);
    const data = new Float32Array(raw.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = raw.readFloatLE(i * 4);
    weights.set(name, { shape: entry.shape, data });
  }
  return { weights, metadata: header.__metadata__ ?? {} };
}

/** GPT-2's forward (modeling_gpt2.py) for one sequence: logits [T][V] in float64 arithmetic. */
function gpt2Forward(dir: string, ids: number[]): number[][] {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | boolean | string>;
  const { weights } = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
  const W = (name: string): Float32Array => weights.get(name)!.data;
  const C = cfg.n_embd as number;
  const H = cfg.n_head as number;
  const V = cfg.vocab_size as number;
  const eps = cfg.layer_norm_epsilon as number;
  const D = C / H;
  const T = ids.length;
  const ln = (x: number[], w: Float32Array, b: Float32Array): number[] => {
    const mu = x.reduce((a, v) => a + v, 0) / x.length;
    const varc = x.reduce((a, v) => a + (v - mu) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mu) / Math.sqrt(varc + eps)) * w[i]! + b[i]!);
  };
  // Conv1D: y = x W + b, W stored [in, out].
  const conv = (x: number[], w: Float32Array, b: Float32Array): number[] => {
    const out = b.length;
    const y = Array.from(b);
    for (let i = 0; i < x.length; i++) for (let j = 0; j < out; j++) y[j]! += x[i]! * w[i * out + j]!;
    return y;
  };
  const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  let h = ids.map((id, t) =>
    Array.from({ length: C }, (_, c) => W('transformer.wte.weight')[id * C + c]! + W('transformer.wpe.weight')[t * C + c]!),
  );
  for (let l = 0; l < (cfg.n_layer as number); l++) {
    const p = `transformer.h.${l}.`;
    const qkv = h.map((x) => conv(ln(x, W(`${p}ln_1.weight`), W(`${p}ln_1.bias`)), W(`${p}attn.c_attn.weight`), W(`${p}attn.c_attn.bias`)));
    const att = h.map(() => new Array<number>(C).fill(0));
    for (let hd = 0; hd < H; hd++) {
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += qkv[i]![hd * D + d]! * qkv[j]![C + hd * D + d]!;
          scores.push(s / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < D; d++) att[i]![hd * D + d]! += (e[j]! / z) * qkv[j]![2 * C + hd * D + d]!;
      }
    }
    h = h.map((x, t) => conv(att[t]!, W(`${p}attn.c_proj.weight`), W(`${p}attn.c_proj.bias`)).map((v, c) => v + x[c]!));
    h = h.map((x) => {
      const inner = conv(ln(x, W(`${p}ln_2.weight`), W(`${p}ln_2.bias`)), W(`${p}mlp.c_fc.weight`), W(`${p}mlp.c_fc.bias`)).map(gelu);
      return conv(inner, W(`${p}mlp.c_proj.weight`), W(`${p}mlp.c_proj.bias`)).map((v, c) => v + x[c]!);
    });
  }
  const head = cfg.tie_word_embeddings === false ? W('lm_head.weight') : W('transformer.wte.weight');
  return h.map((x) => {
    const y = ln(x, W('transformer.ln_f.weight'), W('transformer.ln_f.bias'));
    return Array.from({ length: V }, (_, v) => y.reduce((a, yc, c) => a + yc * head[v * C + c]!, 0));
  });
}

function randomModel(tied: boolean, seed: number): GPT {
  const model = new GPT(
    { vocabSize: 270, contextLength: 16, width: 24, heads: 3, layers: 2, mlpWidth: 40, tiedEmbeddings: tied },
    new Generator(seed),
  );
  // Every parameter random (LayerNorm weights and all biases too), so each one is exercised by the comparison.
  const g = new Generator(seed + 100);
  for (const p of model.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] = (g.random() - 0.5) * 0.8;
  return model;
}

describe('Hugging Face GPT-2 export', () => {
  for (const tied of [true, false]) {
    test(`an independent GPT-2 forward from the folder gives the project's logits to 1e-5 (${tied ? 'tied' : 'untied'} head)`, () => {
      const model = randomModel(tied, tied ? 1 : 2);
      const dir = mkdtempSync(join(tmpdir(), 'selm-hf-'));
      const files = writeHfFolder(dir, model, hfTokenizerFiles(new ByteBpeTokenizer(), 16));
      expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'tokenizer.json']));
      const { weights, metadata } = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
      expect(metadata).toEqual({ format: 'pt' });
      expect(weights.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([24, 72]);
      expect(weights.has('lm_head.weight')).toBe(!tied);
      const ids = [1, 40, 200, 7, 3, 99, 269, 2, 12, 5, 4];
      const expected = gpt2Forward(dir, ids);
      const logits = model.forward([ids]);
      let worst = 0;
      expected.forEach((row, t) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - logits.data[t * 270 + k]!)))));
      expect(worst).toBeLessThan(1e-5);
      expect(Math.max(...expected.flat().map(Math.abs))).toBeGreaterThan(0.1);
    });
  }

  test('import of an exported folder gives bit-identical weights and the config back', () => {
    const model = randomModel(false, 3);
    const dir = mkdtempSync(join(tmpdir(), 'selm-hf-'));
    const tok = new ByteBpeTokenizer([['a', 'b']]);
    writeHfFolder(dir, model, hfTokenizerFiles(tok, 16));
    const back = readHfFolder(dir);
    expect(back.model.config).toEqual(model.config);
    const original = new Map(model.namedParameters());
    for (const [name, p] of back.model.namedParameters())
      expect(Buffer.from(p.data.buffer).equals(Buffer.from(original.get(name)!.data.buffer))).toBe(true);
    expect(back.tokenizer!.vocab).toEqual(tok.vocab);
  });

  test('a folder that is not this GPT says what does not fit', () => {
    const model = randomModel(true, 4);
    const dir = mkdtempSync(join(tmpdir(), 'selm-hf-'));
    writeHfFolder(
      dir,
      model,
      {},
      {
        'config.json': JSON.stringify({
          model_type: 'gpt2',
          vocab_size: 270,
          n_positions: 16,
          n_embd: 24,
          n_layer: 3,
          n_head: 3,
          n_inner: 40,
        }),
      },
    );
    expect(() => readHfFolder(dir)).toThrow(
      /model\.safetensors: hf-gpt2: the weights do not fit a GPT-2 of this config: missing transformer\.h\.2/,
    );
    writeHfFolder(
      dir,
      model,
      {},
      {
        'config.json': JSON.stringify({
          model_type: 'gpt2',
          vocab_size: 270,
          n_positions: 16,
          n_embd: 24,
          n_layer: 2,
          n_head: 3,
          activation_function: 'relu',
        }),
      },
    );
    expect(() => readHfFolder(dir)).toThrow(/activation_function 'relu' is not the tanh GELU/);
  });
});

describe('run checkpoints', () => {
  test("record the GPT's config (heads included) in their metadata", async () => {
    const { saveCheckpoint, initialPolicy } = await import('../../src/lab/runner.js');
    const { MemoryStorage } = await import('../../src/lab/storage.js');
    const { defaultsFor } = await import('../../src/lab/config.js');
    const { makeLanguageWorld, DEFAULT_LANGUAGE } = await import('../../src/lab/worlds/language.js');
    const { decodeSafetensors } = await import('../../src/nn/safetensors.js');
    const config = defaultsFor('language');
    const policy = initialPolicy(config, makeLanguageWorld(DEFAULT_LANGUAGE, 0), 0);
    const storage = new MemoryStorage();
    saveCheckpoint(storage, 'c.safetensors', policy, { seed: '0' });
    const { metadata } = decodeSafetensors(storage.read('c.safetensors'));
    expect(JSON.parse(metadata['selm-ts.model']!)).toMatchObject({
      heads: config.model.heads,
      width: config.model.width,
      layers: config.model.layers,
    });
  });
});
