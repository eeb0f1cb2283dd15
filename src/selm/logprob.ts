/**
 * Sequence log-probabilities log π(y|x) through any causal language model, and the implicit reward of DPO and
 * SELM (section 3.1): r̂θ(x, y) = β (log πθ(y|x) − log π_ref(y|x)).
 *
 * A causal model maps token ids [B, T] to logits [B, T, V] whose position t scores the token at t + 1. A
 * (prompt, response) pair is packed as one row `prompt ++ response`, right-padded; log π(y|x) sums the
 * log-probabilities of the response tokens only: the prompt is the condition and padding is not text.
 */
import { Tensor, div, gather, logSoftmax, mul, narrow, reshape, sub, sum, type DType } from '../autograd/index.js';

/** A causal language model: ids [B, T] (integer values) -> logits [B, T, V]; logits[:, t] predict ids[:, t + 1]. */
export type CausalLM = (ids: Tensor) => Tensor;

/** One prompt and one response, as token ids. */
export interface PromptResponse {
  prompt: readonly number[];
  response: readonly number[];
}

/** A right-padded batch: ids [B, T] and a mask [B, T] that is 1 exactly on response tokens. */
export interface PackedBatch {
  ids: Tensor;
  responseMask: Tensor;
}

export interface PackOptions {
  /** The id written into padding positions (never scored: its mask is 0). Default 0. */
  padId?: number;
  /** The dtype of ids and mask (ids hold integers; float64 holds any id exactly). Default float64. */
  dtype?: DType;
  /** Pad every row to this length (at least the longest row). */
  length?: number;
}

/** Packs (prompt, response) pairs into one right-padded batch with a response mask. */
export function packBatch(pairs: readonly PromptResponse[], options: PackOptions = {}): PackedBatch {
  if (pairs.length === 0) throw new Error('packBatch: needs at least one (prompt, response) pair');
  const dtype = options.dtype ?? 'float64';
  const padId = options.padId ?? 0;
  const longest = Math.max(...pairs.map((p) => p.prompt.length + p.response.length));
  const length = options.length ?? longest;
  if (length < longest) throw new Error(`packBatch: length ${length} is shorter than the longest row (${longest} tokens)`);
  const ids = new Float64Array(pairs.length * length).fill(padId);
  const mask = new Float64Array(pairs.length * length);
  pairs.forEach(({ prompt, response }, b) => {
    // Position 0 has no logits predicting it, so a response needs at least one token of context before it.
    if (prompt.length === 0) throw new Error(`packBatch: pair ${b} has an empty prompt; start prompts with a BOS token`);
    [...prompt, ...response].forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0) throw new Error(`packBatch: pair ${b} has an invalid token id ${id}`);
      ids[b * length + t] = id;
    });
    for (let t = prompt.length; t < prompt.length + response.length; t++) mask[b * length + t] = 1;
  });
  const make = (data: Float64Array): Tensor => new Tensor(dtype === 'float64' ? data : Float32Array.from(data), [pairs.length, length]);
  return { ids: make(ids), responseMask: make(mask) };
}

export interface SequenceLogProbOptions {
  /** Mean over response tokens instead of the sum (TRL's `average_log_prob`). Default false: log π(y|x) is a sum. */
  average?: boolean;
}

/**
 * log π(y|x) per row from logits [B, T, V], ids [B, T] and the response mask [B, T]:
 * Σ_t mask[t+1] · log softmax(logits[t])[ids[t+1]], so prompt and padding tokens add nothing.
 * With `average`, divides by the number of response tokens (at least 1).
 */
export function sequenceLogProbsFromLogits(
  logits: Tensor,
  ids: Tensor,
  responseMask: Tensor,
  options: SequenceLogProbOptions = {},
): Tensor {
  const [B, T, V] = logits.shape;
  if (logits.ndim !== 3 || B === undefined || T === undefined || V === undefined) {
    throw new Error(`sequenceLogProbs: logits must be [B, T, V], got [${logits.shape.join(', ')}]`);
  }
  if (ids.ndim !== 2 || ids.shape[0] !== B || ids.shape[1] !== T || responseMask.shape.join() !== ids.shape.join()) {
    throw new Error(
      `sequenceLogProbs: ids [${ids.shape.join(', ')}] and mask [${responseMask.shape.join(', ')}] must be [${B}, ${T}] like the logits`,
    );
  }
  if (T < 2) return mul(sum(logits, [1, 2]), 0); // no position predicts anything: log π(y|x) = 0 (empty response)
  // Position t predicts token t + 1: drop the last position's logits and the first token.
  const logp = logSoftmax(narrow(logits, 1, 0, T - 1), -1);
  const targets = new Tensor(Float64Array.from(narrow(ids, 1, 1, T - 1).data), [B, T - 1, 1]);
  const tokenLogps = reshape(gather(logp, -1, targets), [B, T - 1]);
  const mask = castLike(narrow(responseMask.detach(), 1, 1, T - 1), logits);
  const total = sum(mul(tokenLogps, mask), 1);
  if (!options.average) return total;
  const counts = new Tensor(
    castLike(sum(mask, 1), logits).data.map((c) => Math.max(c, 1)),
    [B],
  );
  return div(total, counts);
}

/** A constant copy of `t` in the dtype of `like` (masks are constants: no gradient flows into them). */
function castLike(t: Tensor, like: Tensor): Tensor {
  if (t.dtype === like.dtype) return t.detach();
  const data = like.dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
  return new Tensor(data, t.shape);
}

/** log π(y|x) for each pair through `model`, in one forward pass over the packed batch. Shape [B]. */
export function sequenceLogProbs(
  model: CausalLM,
  pairs: readonly PromptResponse[],
  options: SequenceLogProbOptions & PackOptions = {},
): Tensor {
  const { ids, responseMask } = packBatch(pairs, options);
  return sequenceLogProbsFromLogits(model(ids), ids, responseMask, options);
}

/**
 * The implicit reward r̂θ(x, y) = β (log πθ(y|x) − log π_ref(y|x)) (section 3.1, the change of variables
 * before eq. (3.2)): elementwise, for log-prob tensors of any matching shape.
 */
export function implicitReward(policyLogps: Tensor, referenceLogps: Tensor, beta: number): Tensor {
  assertBeta(beta, 'implicitReward');
  return mul(sub(policyLogps, referenceLogps), beta);
}

/** β > 0 is the KL coefficient of (2.3); every formula here divides by it or scales with it. */
export function assertBeta(beta: number, where: string): void {
  if (!(beta > 0) || !Number.isFinite(beta)) throw new Error(`${where}: beta must be a positive finite number, got ${beta}`);
}
