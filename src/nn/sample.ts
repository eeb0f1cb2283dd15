/**
 * Batched autoregressive generation: greedy, or sampling with temperature, top-k and top-p, from an explicit
 * Generator; stops a row at EOS and every row at `maxNewTokens`; decodes with a KV cache (or, for
 * verification, recomputes the whole sequence at every step).
 *
 * Prompts of different lengths are left-padded; padding is masked out of attention and does not advance the
 * position ids, so a row generates what it would generate alone.
 *
 * Log-probabilities: `logProbs` are log pi(token | prefix) under the model itself (log-softmax of the
 * unmodified logits, temperature 1), which is what SELM and DPO need for log pi_theta(y|x) and
 * log pi_ref(y|x). `samplingLogProbs` are under the distribution actually sampled from (after temperature,
 * top-k and top-p; 0 for greedy, a deterministic choice).
 */
import { noGrad, type Generator } from '../autograd/index.js';
import type { GPT } from './gpt.js';

export interface GenerateOptions {
  maxNewTokens: number;
  /** A row stops after emitting this id (the EOS is kept in its tokens). */
  eosId?: number;
  /** The id used for left padding and fed to finished rows (masked out; default 0). */
  padId?: number;
  /** Always take the most likely token (first on ties). */
  greedy?: boolean;
  /** Divides the logits before sampling (default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (ties with the k-th are kept). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (nucleus sampling). */
  topP?: number;
  /** Required unless greedy. */
  generator?: Generator;
  /** Decode with a KV cache (default true); false recomputes the full sequence at every step. */
  useCache?: boolean;
}

export interface GenerationResult {
  /** The generated tokens of each row (EOS included when it was produced). */
  tokens: number[][];
  /** log pi(token | prefix) under the model at temperature 1, per generated token. */
  logProbs: number[][];
  /** log-probability under the sampling distribution (after temperature, top-k, top-p); 0 for greedy. */
  samplingLogProbs: number[][];
  /** Whether each row stopped at EOS (rather than at the length cap). */
  finished: boolean[];
}

function logSumExp(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i]!);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i]! - m);
  return m + Math.log(s);
}

/** The sampling distribution's logits: temperature, then top-k, then top-p (Hugging Face's order). */
export function samplingLogits(logits: ArrayLike<number>, options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>): Float64Array {
  const temperature = options.temperature ?? 1;
  const z = Float64Array.from(logits, (v) => v / temperature);
  const order = Array.from(z.keys()).sort((a, b) => z[b]! - z[a]! || a - b);
  if (options.topK !== undefined && options.topK < z.length) {
    const threshold = z[order[options.topK - 1]!]!;
    for (let i = 0; i < z.length; i++) if (z[i]! < threshold) z[i] = -Infinity;
  }
  if (options.topP !== undefined && options.topP < 1) {
    const lse = logSumExp(z);
    let cumulative = 0;
    let cut = order.length;
    for (let r = 0; r < order.length; r++) {
      cumulative += Math.exp(z[order[r]!]! - lse);
      if (cumulative >= options.topP) {
        cut = r + 1;
        break;
      }
    }
    for (let r = cut; r < order.length; r++) z[order[r]!] = -Infinity;
  }
  return z;
}

function checkOptions(model: GPT, prompts: readonly (readonly number[])[], o: GenerateOptions): void {
  const fail = (msg: string): never => {
    throw new Error(`generate: ${msg}`);
  };
  if (prompts.length === 0) fail('needs at least one prompt');
  if (prompts.some((p) => p.length === 0)) fail('every prompt needs at least one token (e.g. BOS)');
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) fail(`maxNewTokens must be a positive integer, got ${o.maxNewTokens}`);
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + o.maxNewTokens > model.config.contextLength) {
    fail(`the longest prompt (${longest}) plus maxNewTokens (${o.maxNewTokens}) exceeds contextLength ${model.config.contextLength}`);
  }
  if (!o.greedy) {
    if (!o.generator) fail('sampling needs an explicit generator (or pass greedy: true)');
    const t = o.temperature ?? 1;
    if (!(t > 0) || !Number.isFinite(t)) fail(`temperature must be a finite number > 0, got ${t} (use greedy: true for argmax)`);
    if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) fail(`topK must be a positive integer, got ${o.topK}`);
    if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) fail(`topP must be in (0, 1], got ${o.topP}`);
  }
}

/** Chooses a token from one row of logits; returns it with its two log-probabilities. */
function choose(row: Float64Array, o: GenerateOptions): { token: number; logProb: number; samplingLogProb: number } {
  const lse = logSumExp(row);
  if (o.greedy) {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
    return { token: best, logProb: row[best]! - lse, samplingLogProb: 0 };
  }
  const z = samplingLogits(row, o);
  const zl = logSumExp(z);
  const weights = Float64Array.from(z, (v) => Math.exp(v - zl));
  const token = o.generator!.categorical(weights);
  return { token, logProb: row[token]! - lse, samplingLogProb: z[token]! - zl };
}

/** Generates up to `maxNewTokens` tokens after each prompt; see the file comment. Runs in eval mode, no graph. */
export function generate(model: GPT, prompts: readonly (readonly number[])[], options: GenerateOptions): GenerationResult {
  checkOptions(model, prompts, options);
  const B = prompts.length;
  const V = model.config.vocabSize;
  const pad = options.padId ?? 0;
  const longest = Math.max(...prompts.map((p) => p.length));
  const seqs = prompts.map((p) => [...new Array<number>(longest - p.length).fill(pad), ...p]);
  const masks = prompts.map((p) => [...new Array<number>(longest - p.length).fill(0), ...new Array<number>(p.length).fill(1)]);
  const result: GenerationResult = {
    tokens: prompts.map(() => []),
    logProbs: prompts.map(() => []),
    samplingLogProbs: prompts.map(() => []),
    finished: new Array<boolean>(B).fill(false),
  };
  const useCache = options.useCache ?? true;
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      const cache = useCache ? model.createCache(B) : undefined;
      let logits = model.forward(seqs, { paddingMask: masks, ...(cache ? { kvCache: cache } : {}) });
      for (let step = 0; step < options.maxNewTokens; step++) {
        const T = logits.shape[1]!;
        const next: number[] = [];
        const nextMask: number[] = [];
        for (let b = 0; b < B; b++) {
          if (result.finished[b]) {
            next.push(pad);
            nextMask.push(0);
            continue;
          }
          const offset = (b * T + T - 1) * V;
          const picked = choose(Float64Array.from(logits.data.subarray(offset, offset + V)), options);
          result.tokens[b]!.push(picked.token);
          result.logProbs[b]!.push(picked.logProb);
          result.samplingLogProbs[b]!.push(picked.samplingLogProb);
          if (picked.token === options.eosId) result.finished[b] = true;
          // A row that just stopped feeds padding from here on: its outputs are no longer read.
          next.push(result.finished[b] ? pad : picked.token);
          nextMask.push(result.finished[b] ? 0 : 1);
        }
        if (step === options.maxNewTokens - 1 || result.finished.every((f) => f)) break;
        if (cache) {
          logits = model.forward(
            next.map((t) => [t]),
            { paddingMask: nextMask.map((m) => [m]), kvCache: cache },
          );
        } else {
          seqs.forEach((s, b) => s.push(next[b]!));
          masks.forEach((m, b) => m.push(nextMask[b]!));
          logits = model.forward(seqs, { paddingMask: masks });
        }
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return result;
}
