/**
 * Does a policy generalise across responses? The probe of issue 12, to first order: take the gradient step
 * that raises the trained margins M = Σ [log π(y_w|x) − log π(y_l|x)] over an iteration's ranked pairs, and
 * ask how much it raises the same margins on held-out neighbours, N = Σ [log π(n(y_w)|x) − log π(n(y_l)|x)],
 * where n(y) is a response one edit away that is neither chosen nor rejected in any of the iteration's pairs
 * for that prompt (y_ref aside: the margins' gradients do not touch it). The ratio ⟨∇N, ∇M⟩ / ⟨∇M, ∇M⟩ is that first-order transfer. In a table the margin's gradient
 * is e_w − e_l on the prompt's row (the normaliser cancels), so ∇N and ∇M touch disjoint logits and the
 * transfer is exactly 0; where an update on one response spreads to similar ones it is > 0. It is a property
 * of the policy probed (each iteration's π_ref), not of the loss the method then trains on. Browser-safe.
 */
import { grad, indexSelect, sub, sum, type Tensor } from '../autograd/index.js';
import type { TrainingTriple } from '../selm/algorithm.js';
import type { Policy } from '../selm/policy.js';
import type { Tokens } from '../selm/types.js';

/** One pair's held-out neighbours, or null when a response has no untrained neighbour. */
export type NeighbourOf = (prompt: Tokens, response: Tokens, trained: ReadonlySet<string>) => Tokens | null;

/**
 * The first-order transfer ⟨∇N, ∇M⟩ / ⟨∇M, ∇M⟩ of `policy` on the first `maxPairs` pairs of `data` that have
 * neighbours (NaN when none has, or ∇M = 0). `trainedKey(prompt)` groups the prompts whose triples count as
 * trained together (a bandit row; a language prompt).
 */
export function transferRatio(
  data: readonly TrainingTriple[],
  policy: Policy,
  neighbour: NeighbourOf,
  trainedKey: (prompt: Tokens) => string,
  maxPairs = 32,
): number {
  const trained = new Map<string, Set<string>>();
  for (const d of data) {
    const key = trainedKey(d.prompt);
    const set = trained.get(key) ?? new Set<string>();
    set.add(d.chosen.join()).add(d.rejected.join());
    trained.set(key, set);
  }
  const prompts: Tokens[] = [];
  const responses: Tokens[] = [];
  for (const d of data) {
    if (prompts.length >= 4 * maxPairs) break;
    if (d.chosen.join() === d.rejected.join()) continue;
    const set = trained.get(trainedKey(d.prompt))!;
    const nw = neighbour(d.prompt, d.chosen, set);
    const nl = neighbour(d.prompt, d.rejected, set);
    if (nw === null || nl === null || nw.join() === nl.join()) continue;
    prompts.push(d.prompt, d.prompt, d.prompt, d.prompt);
    responses.push(d.chosen, d.rejected, nw, nl);
  }
  if (prompts.length === 0) return Number.NaN;
  const n = prompts.length / 4;
  const at = (offset: number): number[] => Array.from({ length: n }, (_, i) => 4 * i + offset);
  const params = policy.parameters();
  // One forward pass over all 4n rows serves both margins; the graph is kept for the second gradient.
  const lp = policy.logProbs(prompts, responses);
  const margin = (w: number, l: number): Tensor => sum(sub(indexSelect(lp, 0, at(w)), indexSelect(lp, 0, at(l))));
  const gM = grad(margin(0, 1), params, { allowUnused: true, retainGraph: true });
  const gN = grad(margin(2, 3), params, { allowUnused: true });
  let cross = 0;
  let self = 0;
  gM.forEach((g, i) => {
    const h = gN[i];
    if (!g) return;
    for (let k = 0; k < g.data.length; k++) {
      self += g.data[k]! * g.data[k]!;
      if (h) cross += g.data[k]! * h.data[k]!;
    }
  });
  return self === 0 ? Number.NaN : cross / self;
}

/** The bandit's neighbour: the next response on the line (or the previous one) that no pair of the row holds. */
export function banditNeighbour(responses: number): NeighbourOf {
  return (_prompt, response, trained) => {
    const k = response[0]!;
    for (const j of [k + 1, k - 1]) if (j >= 0 && j < responses && !trained.has(String(j))) return [j];
    return null;
  };
}

/**
 * The language world's neighbour: the response with its last letter replaced by the next letter round the
 * alphabet (then the one after, ...), the first that no pair of the prompt holds. Token ids `firstLetter` ..
 * `firstLetter + letters − 1` are letters; the EOS after them is kept.
 */
export function languageNeighbour(firstLetter: number, letters: number, eosId: number): NeighbourOf {
  return (_prompt, response, trained) => {
    const ended = response[response.length - 1] === eosId;
    const content = ended ? response.slice(0, -1) : [...response];
    const last = content.length - 1;
    if (last < 0) return null;
    for (let step = 1; step < letters; step++) {
      const y = [...content];
      y[last] = firstLetter + ((y[last]! - firstLetter + step) % letters);
      const candidate = ended ? [...y, eosId] : y;
      if (!trained.has(candidate.join())) return candidate;
    }
    return null;
  };
}
