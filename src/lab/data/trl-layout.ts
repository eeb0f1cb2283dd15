/**
 * The text layout that makes TRL tokenise a preference row into exactly the row this project trains on.
 *
 * TRL's DPOTrainer (v0.8.6, the version the authors' SELM code uses: trl/trainer/dpo_trainer.py,
 * `build_tokenized_answer` and `tokenize_row`) tokenises `prompt + answer` as ONE string with
 * `add_special_tokens=False`, takes the answer's ids as what follows the prompt's own ids, then prepends
 * `bos_token_id` to the prompt and appends `eos_token_id` to the answer. Today's TRL tokenises the prompt and
 * the answer separately, with the same BOS/EOS rule. This project trains on  BOS prompt SEP response EOS.
 *
 * So an exported prompt is the prompt text followed by the separator's string '<sep>', with nothing after it,
 * and the answer is the response text alone. The separator is a special token of the exported tokenizer
 * (hf-tokenizer.ts): Hugging Face tokenizers split added special tokens out before anything else, so no merge
 * or word can cross it, and both TRL versions give  [BOS] + ids(prompt) + [SEP] + ids(response) + [EOS].
 * A response the model never ended (cut at the length cap, no EOS) cannot be written this way: TRL would add an
 * EOS; such rows are flagged `"truncated": true` and counted by `trlRowMatches`.
 */
import { BOS_ID, EOS_ID } from '../../nn/tokenizer.js';

export const TRL_SEPARATOR = '<sep>';

/** The prompt as exported for TRL: its text, then '<sep>'. */
export function trlPrompt(promptText: string): string {
  return `${promptText}${TRL_SEPARATOR}`;
}

/** A tokenizer's encode that turns the specials' strings into their ids (ByteBpeTokenizer.encode, Tokenizer.encodeWithSpecials). */
export type SpecialAwareEncode = (text: string) => number[];

/** TRL v0.8.6's tokenisation of (prompt, answer): the ids and the index where the answer starts. */
export function trlTokenize(encode: SpecialAwareEncode, prompt: string, answer: string): { ids: number[]; answerStart: number } {
  const full = encode(prompt + answer);
  const promptIds = encode(prompt);
  // build_tokenized_answer: the answer is what follows len(prompt ids) in the full tokenisation.
  return { ids: [BOS_ID, ...full, EOS_ID], answerStart: 1 + promptIds.length };
}

/** Whether TRL's tokenisation gives exactly `row` (the project's ids) with the answer starting at `responseStart`. */
export function trlRowMatches(
  encode: SpecialAwareEncode,
  prompt: string,
  answer: string,
  row: readonly number[],
  responseStart: number,
): boolean {
  const { ids, answerStart } = trlTokenize(encode, prompt, answer);
  return answerStart === responseStart && ids.length === row.length && ids.every((t, i) => t === row[i]);
}
