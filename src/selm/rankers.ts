/**
 * A ranker gives Algorithm 1 its feedback (step 3: rank {y_ref, y_w, y_l}). The paper uses PairRM, an AI
 * ranker; the lab's judges (src/lab/judges.ts) implement this interface over a world's true reward.
 *
 * TIE RULE: the driver passes [y_w, y_l, y_ref] and a ranker keeps the given order among candidates it scores
 * equal (a stable sort). So a y_ref that ties with y_w sorts after it and the offline chosen response stays
 * chosen; a y_ref that ties with y_l sorts after y_l, i.e. last, and becomes the rejected response (the pair's
 * content is unchanged in r*, only the rejected text differs).
 */
import type { Tokens } from './types.js';

export interface Ranker {
  readonly name: string;
  /** Indices into `candidates`, best first. */
  rank(prompt: Tokens, candidates: readonly Tokens[]): number[];
}

/** A scoring function over (prompt, response): a world's true reward r*, or a judge's score. */
export type RewardFunction = (prompt: Tokens, response: Tokens) => number;
