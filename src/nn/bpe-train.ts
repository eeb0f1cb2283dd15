/**
 * Training a byte-level BPE on the user's own text (Sennrich et al. 2016; GPT-2's byte-level variant): start
 * from the 256 bytes and repeatedly add the most frequent adjacent pair inside GPT-2's pre-tokens as a merge.
 *
 * Deterministic: no randomness at all. Pre-tokens are counted, the most frequent pair wins and a tie goes to the
 * pair whose two strings sort first (by code unit), so the same texts give the same merges on every run and
 * every machine; `seed` is accepted for the config's sake and does not change the result.
 * Special tokens' strings in the texts are not learned from (they stay single ids, byte-bpe.ts step 1).
 */
import { byteSymbols, preTokenize, splitSpecials, ByteBpeTokenizer, BYTE_OFFSET, type Merge } from './byte-bpe.js';

export interface BpeTrainOptions {
  /** Size of the whole vocabulary: 4 specials + 256 bytes + merges (so >= 260). */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
}

/** Learns merges from `texts`; the tokenizer has at most `vocabSize` ids (fewer when pairs run out). */
export function trainByteBpe(texts: Iterable<string>, options: BpeTrainOptions): ByteBpeTokenizer {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize < BYTE_OFFSET + 256)
    throw new Error(`trainByteBpe: vocabSize must be an integer >= ${BYTE_OFFSET + 256}, got ${vocabSize}`);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const seg of splitSpecials(text)) {
      if (seg.special !== null) continue;
      for (const piece of preTokenize(seg.text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  // Each distinct pre-token once, as its current symbols, with how often it occurs.
  const words = [...counts.entries()].map(([piece, count]) => ({ symbols: byteSymbols(piece), count }));
  const merges: Merge[] = [];
  const target = vocabSize - BYTE_OFFSET - 256;
  while (merges.length < target) {
    const pairs = new Map<string, { a: string; b: string; count: number }>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const a = w.symbols[i]!;
        const b = w.symbols[i + 1]!;
        const key = `${a} ${b}`;
        const entry = pairs.get(key);
        if (entry) entry.count += w.count;
        else pairs.set(key, { a, b, count: w.count });
      }
    }
    let best: { a: string; b: string; count: number } | null = null;
    for (const p of pairs.values()) {
      if (best === null || p.count > best.count || (p.count === best.count && (p.a < best.a || (p.a === best.a && p.b < best.b)))) best = p;
    }
    if (best === null || best.count < minFrequency) break;
    const { a, b } = best;
    merges.push([a, b]);
    for (const w of words) {
      if (w.symbols.length < 2) continue;
      const next: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(w.symbols[i]!);
      }
      w.symbols = next;
    }
  }
  return new ByteBpeTokenizer(merges);
}
