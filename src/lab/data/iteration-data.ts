/**
 * Each iteration's D_t as JSONL, written into the run (data/seedS/METHOD/iterT.jsonl): the prompt, the chosen
 * and rejected responses after step 3's re-ranking, y_ref as `reference_response` (the column the authors' SELM
 * trainer reads), and the judge's scores of the three when the judge scores. The text layout is TRL's
 * (trl-layout.ts), so `selm export trl` can hand the files over as they are and `selm data import` reads them
 * back.
 */
import { EOS_ID, SequenceTokenizer } from '../../nn/tokenizer.js';
import type { TrainingTriple } from '../../selm/algorithm.js';
import type { Ranker } from '../../selm/rankers.js';
import type { Tokens } from '../../selm/types.js';
import { methodSlug } from '../config.js';
import type { RunStorage } from '../storage.js';
import type { World } from '../worlds/types.js';
import { trlPrompt, trlRowMatches, type SpecialAwareEncode } from './trl-layout.js';

/** A ranker that can also say how good one response is (the lab's judges all can). */
export interface ScoringRanker extends Ranker {
  score?(prompt: Tokens, response: Tokens): number;
}

export interface IterationRow {
  prompt: string;
  chosen: string;
  rejected: string;
  reference_response: string | null;
  /** The judge's scores, when it has a score function. */
  score_chosen?: number;
  score_rejected?: number;
  score_reference?: number;
  /** A response without its EOS (cut at the length cap): TRL would add one, so this row is not exact. */
  truncated?: true;
  /**
   * The row's text, tokenised as TRL does, gives other ids than the ones trained on: a sampled y_ref spelled in
   * pieces the BPE would have merged, or bytes that are not valid UTF-8 on their own. Not exact either.
   */
  retokenized?: true;
}

export function iterationDataPath(seed: number, method: string, iteration: number): string {
  return `data/seed${seed}/${methodSlug(method)}/iter${iteration}.jsonl`;
}

const ended = (y: Tokens): boolean => y[y.length - 1] === EOS_ID;

/**
 * A response's text. With the world's tokenizer, specials inside it are written as their strings (a sampled
 * y_ref may hold a SEP or BOS; dropping it, as formatResponse does, would change the row TRL tokenises), and the
 * final EOS is left for TRL to add.
 */
function responseText(world: World, y: Tokens): string {
  const tokenizer = (world as { tokenizer?: unknown }).tokenizer;
  if (!(tokenizer instanceof SequenceTokenizer)) return world.formatResponse(y);
  return tokenizer.decode(ended(y) ? y.slice(0, -1) : y, true);
}

/** The world tokenizer's encode that reads the specials' strings as their ids (trl-layout.ts), if it has one. */
function specialAwareEncode(world: World): SpecialAwareEncode | null {
  const tokenizer = (world as { tokenizer?: unknown }).tokenizer;
  return tokenizer instanceof SequenceTokenizer ? (text) => tokenizer.encodeWithSpecials(text) : null;
}

/** The rows of one iteration's D_t, each checked: TRL's tokenisation of prompt + answer is the trained row. */
export function iterationRows(world: World, data: readonly TrainingTriple[], ranker: ScoringRanker | null): IterationRow[] {
  const encode = specialAwareEncode(world);
  return data.map((d) => {
    const row: IterationRow = {
      prompt: trlPrompt(world.formatPrompt(d.prompt)),
      chosen: responseText(world, d.chosen),
      rejected: responseText(world, d.rejected),
      reference_response: d.yRef === null ? null : responseText(world, d.yRef),
    };
    if (ranker?.score) {
      row.score_chosen = ranker.score(d.prompt, d.chosen);
      row.score_rejected = ranker.score(d.prompt, d.rejected);
      if (d.yRef !== null) row.score_reference = ranker.score(d.prompt, d.yRef);
    }
    if (world.kind === 'language' && (!ended(d.chosen) || !ended(d.rejected))) row.truncated = true;
    else if (
      encode &&
      ![d.chosen, d.rejected].every((y, k) =>
        trlRowMatches(encode, row.prompt, k === 0 ? row.chosen : row.rejected, [...d.prompt, ...y], d.prompt.length),
      )
    )
      row.retokenized = true;
    return row;
  });
}

/** Writes D_t of one iteration (whole and atomically, so a resumed run rewrites it identically). */
export function writeIterationData(
  storage: RunStorage,
  seed: number,
  method: string,
  iteration: number,
  world: World,
  data: readonly TrainingTriple[],
  ranker: ScoringRanker | null,
): void {
  const text = iterationRows(world, data, ranker)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
  storage.write(iterationDataPath(seed, method, iteration), new TextEncoder().encode(text));
}
