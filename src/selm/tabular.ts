/**
 * Finite response spaces, where the paper's expectations can be computed exactly (section 2.1: X and Y are
 * finite). A policy on such a space is a log-probability table [X, Y]: row x is log π(·|x) over the whole of
 * Y. Two ways to get one:
 *  - a tabular policy: free logits per prompt, π(·|x) = softmax(logits[x]);
 *  - a causal model (a tiny GPT) with Y = every response of exactly L tokens, scored by `sequenceLogProbs`:
 *    the conditionals multiply to a distribution over the V^L sequences, so each row sums to 1 exactly.
 * Every function of this file and of theory.ts takes tables, so the same code checks both.
 * Tables must have full support (finite log-probs), as softmax and sequence log-probs give.
 */
import { Tensor, exp, indexSelect, logSoftmax, mean, mul, reshape, sub, sum } from '../autograd/index.js';
import type { Generator } from '../autograd/index.js';
import { sequenceLogProbs, type CausalLM, type PackOptions } from './logprob.js';

/** log π(·|x) of a tabular policy: log softmax of its logits [X, Y] along Y. */
export function tabularLogProbs(logits: Tensor): Tensor {
  if (logits.ndim !== 2) throw new Error(`tabularLogProbs: logits must be [X, Y], got [${logits.shape.join(', ')}]`);
  return logSoftmax(logits, -1);
}

/** E_{y ~ π(·|x)}[f(x, y)] for every prompt: Σ_y π(y|x) f(x, y), shape [X]. `values` is [X, Y] (or broadcasts). */
export function expectation(logPolicy: Tensor, values: Tensor): Tensor {
  return sum(mul(exp(logPolicy), values), -1);
}

/** KL(p(·|x) ‖ q(·|x)) = Σ_y p (log p − log q) for every prompt, shape [X]. */
export function klDivergence(logP: Tensor, logQ: Tensor): Tensor {
  return expectation(logP, sub(logP, logQ));
}

/** E_{x ~ D}[v(x)] for per-prompt values [X]: D is uniform over the table's prompts. */
export function overPrompts(perPrompt: Tensor): Tensor {
  return mean(perPrompt);
}

/** The entries table[x_i, y_i] for index lists of equal length, shape [N] (differentiable). */
export function tableEntries(table: Tensor, prompts: readonly number[], responses: readonly number[]): Tensor {
  const [X, Y] = table.shape as [number, number];
  if (prompts.length !== responses.length) throw new Error(`tableEntries: ${prompts.length} prompts but ${responses.length} responses`);
  const flat = prompts.map((x, i) => {
    const y = responses[i]!;
    if (!(x >= 0 && x < X && y >= 0 && y < Y)) throw new Error(`tableEntries: (${x}, ${y}) is outside a [${X}, ${Y}] table`);
    return x * Y + y;
  });
  return indexSelect(reshape(table, [X * Y]), 0, flat);
}

/** Every sequence of exactly `length` tokens over a vocabulary of `vocabSize`, in lexicographic order. */
export function enumerateResponses(vocabSize: number, length: number): number[][] {
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || !Number.isInteger(length) || length < 0) {
    throw new Error(`enumerateResponses: need a positive vocabulary and a non-negative length, got ${vocabSize}, ${length}`);
  }
  let out: number[][] = [[]];
  for (let t = 0; t < length; t++) out = out.flatMap((prefix) => Array.from({ length: vocabSize }, (_, v) => [...prefix, v]));
  return out;
}

/**
 * The log-probability table [X, Y] of a causal model over an enumerated response set: entry (x, y) is
 * log π(responses[y] | prompts[x]), all computed in one batch (differentiable in the model's parameters).
 * With `responses = enumerateResponses(V, L)` each row is a full distribution over Y.
 */
export function modelLogProbTable(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  responses: readonly (readonly number[])[],
  options: PackOptions = {},
): Tensor {
  const pairs = prompts.flatMap((prompt) => responses.map((response) => ({ prompt, response })));
  return reshape(sequenceLogProbs(model, pairs, options), [prompts.length, responses.length]);
}

/** Draws `n` responses y ~ π(·|x) (indices into Y) from row x of a log-prob table. */
export function sampleResponses(logPolicy: Tensor, prompt: number, n: number, generator: Generator): number[] {
  const [X, Y] = logPolicy.shape as [number, number];
  if (!(prompt >= 0 && prompt < X)) throw new Error(`sampleResponses: prompt ${prompt} is outside [0, ${X})`);
  const weights = Array.from({ length: Y }, (_, y) => Math.exp(logPolicy.data[prompt * Y + y]!));
  return Array.from({ length: n }, () => generator.categorical(weights));
}

/** A constant copy of a table (no graph), as π_ref is during an iteration of Algorithm 1. */
export function frozen(table: Tensor): Tensor {
  return new Tensor(table.data.slice(), table.shape);
}
