/**
 * An open-vocabulary tokenizer: byte-level BPE as GPT-2 defines it, so any UTF-8 string is valid input.
 *
 * Ids: the four specials of tokenizer.ts at 0-3 (PAD, BOS, EOS, SEP), the 256 bytes at 4-259 (byte b is id
 * 4 + b), then one id per new string a merge makes, in merge order. With no merges this is the plain
 * byte-level tokenizer.
 *
 * Encoding follows Hugging Face's GPT-2 tokenizer step for step, so the files written by hf-tokenizer.ts make
 * `transformers` tokenise a text into the same ids:
 *  1. the special tokens' strings ('<sep>', ...) are split out first and become their ids (HF's added tokens);
 *  2. each remaining segment is cut by GPT-2's pre-tokenisation regex (openai/gpt-2 src/encoder.py, `pat`);
 *  3. each piece's UTF-8 bytes are written with GPT-2's byte-to-unicode table (`bytes_to_unicode`), and the
 *     merges are applied lowest rank first (encoder.py `bpe`).
 * Decoding maps ids back to bytes and decodes UTF-8 (invalid sequences, which a sampling model can produce,
 * become U+FFFD rather than an error).
 */
import { SequenceTokenizer, SPECIAL_TOKENS, splitSpecials } from './tokenizer.js';

export { splitSpecials };

/** Id of byte 0; byte b is id BYTE_OFFSET + b. */
export const BYTE_OFFSET = SPECIAL_TOKENS.length;

/** GPT-2's pre-tokenisation pattern (encoder.py), with JavaScript's Unicode property escapes. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's `bytes_to_unicode`: printable bytes stand for themselves, the rest are shifted to U+0100 and up. */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++);
  return table;
}

export const BYTE_TO_UNICODE: readonly string[] = bytesToUnicode();
const UNICODE_TO_BYTE = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** The byte-level symbols of a piece of text (one per UTF-8 byte). */
export function byteSymbols(text: string): string[] {
  return Array.from(encoder.encode(text), (b) => BYTE_TO_UNICODE[b]!);
}

/** GPT-2's pre-tokens of a segment without specials; their concatenation is the segment. */
export function preTokenize(text: string): string[] {
  return Array.from(text.matchAll(GPT2_PATTERN), (m) => m[0]);
}

export type Merge = readonly [string, string];

/** Byte-level BPE in the project's sequence layout (SequenceTokenizer: BOS prompt SEP response EOS). */
export class ByteBpeTokenizer extends SequenceTokenizer {
  readonly level = 'byte-bpe';
  /** Token strings by id in GPT-2's byte-unicode form (vocab.json's keys); specials as themselves. */
  readonly vocab: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  /** Bytes of each id (empty for the specials). */
  private readonly bytes: readonly Uint8Array[];
  private readonly cache = new Map<string, number[]>();

  /** `merges` in rank order, each a pair of existing token strings (byte-unicode form). */
  constructor(readonly merges: readonly Merge[] = []) {
    super();
    const vocab: string[] = [...SPECIAL_TOKENS, ...BYTE_TO_UNICODE];
    const ids = new Map(vocab.map((t, i) => [t, i]));
    const ranks = new Map<string, number>();
    merges.forEach(([a, b], rank) => {
      if (!ids.has(a) || !ids.has(b) || ids.get(a)! < BYTE_OFFSET || ids.get(b)! < BYTE_OFFSET) {
        throw new Error(`ByteBpeTokenizer: merge ${rank} '${a} ${b}' joins a token that is not in the vocabulary before it`);
      }
      const joined = a + b;
      ranks.set(`${a} ${b}`, rank);
      // Two merges can make one string ('ab c' and 'a bc'); it keeps its first id, as in Hugging Face's BPE.
      if (ids.has(joined)) return;
      ids.set(joined, vocab.length);
      vocab.push(joined);
    });
    this.vocab = vocab;
    this.ids = ids;
    this.ranks = ranks;
    this.bytes = vocab.map((t, i) => (i < BYTE_OFFSET ? new Uint8Array() : Uint8Array.from([...t], (c) => UNICODE_TO_BYTE.get(c)!)));
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** GPT-2's `bpe`: merge the adjacent pair of lowest rank until none of the pairs is a merge. */
  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let symbols = byteSymbols(piece);
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      // Merge every occurrence of that pair, left to right (as encoder.py does).
      const [a, b] = [symbols[best]!, symbols[best + 1]!];
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(symbols[i]!);
      }
      symbols = next;
    }
    const out = symbols.map((s) => this.ids.get(s)!);
    if (this.cache.size < 100_000) this.cache.set(piece, out);
    return out;
  }

  /** Ids of `text`; the specials' strings inside it become their ids. Every string is valid. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const seg of splitSpecials(text)) {
      if (seg.special !== null) out.push(seg.special);
      else for (const piece of preTokenize(seg.text)) out.push(...this.encodePiece(piece));
    }
    return out;
  }

  /** Text of `ids`; specials are dropped unless `keepSpecial` (then written as their strings). */
  decode(ids: readonly number[], keepSpecial = false): string {
    const parts: string[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const total = run.reduce((a, id) => a + this.bytes[id]!.length, 0);
      const buf = new Uint8Array(total);
      let at = 0;
      for (const id of run) {
        buf.set(this.bytes[id]!, at);
        at += this.bytes[id]!.length;
      }
      parts.push(decoder.decode(buf));
      run = [];
    };
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new Error(`ByteBpeTokenizer.decode: ${id} is not an id in [0, ${this.vocabSize})`);
      if (id < BYTE_OFFSET) {
        flush();
        if (keepSpecial) parts.push(SPECIAL_TOKENS[id]!);
      } else run.push(id);
    }
    flush();
    return parts.join('');
  }
}
