/**
 * A tokenizer for small worlds: a word-level (split on whitespace) or character-level vocabulary, with four
 * special tokens at fixed ids: PAD 0, BOS 1, EOS 2 and SEP 3 (the prompt/response separator).
 *
 * An example is laid out as  BOS prompt SEP response EOS;  its response mask marks the response tokens and the
 * EOS (what SELM's sequence log-probability log pi(y|x) sums over; the prompt is context, not scored).
 */

export type TokenizerLevel = 'word' | 'char';

export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<sep>'] as const;
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const SEP_ID = 3;

export interface EncodedExample {
  ids: number[];
  /** 1 on response tokens (and the final EOS), 0 on BOS, prompt and SEP. */
  responseMask: number[];
}

export interface PaddedBatch {
  ids: number[][];
  /** 1 on real tokens, 0 on padding. */
  paddingMask: number[][];
  /** 1 on response tokens, 0 elsewhere (padding included). */
  responseMask: number[][];
}

export interface PadOptions {
  /** Right padding (default) for training; left padding for batched generation. */
  side?: 'left' | 'right';
  /** Pad to this length (default: the longest sequence). */
  length?: number;
}

/**
 * The sequence layout every tokenizer of the project shares (the closed-vocabulary one here, the byte-level BPE in
 * byte-bpe.ts): BOS prompt SEP response EOS, with the special ids first. A tokenizer supplies encode and decode.
 */
export abstract class SequenceTokenizer {
  readonly padId = PAD_ID;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  readonly sepId = SEP_ID;

  abstract encode(text: string): number[];
  abstract decode(ids: readonly number[], keepSpecial?: boolean): string;

  /**
   * Ids of a text that may hold the specials' strings ('f d<sep>f c'): they become their ids and split the
   * text around them, as Hugging Face tokenizers treat added special tokens (TRL's `prompt + chosen`).
   */
  encodeWithSpecials(text: string): number[] {
    return splitSpecials(text).flatMap((seg) => (seg.special !== null ? [seg.special] : this.encode(seg.text)));
  }

  /** BOS prompt SEP: what a model is given to generate a response. */
  encodePrompt(prompt: string): number[] {
    return [BOS_ID, ...this.encode(prompt), SEP_ID];
  }

  /** BOS prompt SEP response EOS, with the response mask. */
  encodeExample(prompt: string, response: string): EncodedExample {
    const head = this.encodePrompt(prompt);
    const tail = [...this.encode(response), EOS_ID];
    return { ids: [...head, ...tail], responseMask: [...head.map(() => 0), ...tail.map(() => 1)] };
  }

  /** The response part of generated tokens: everything before the first EOS (or all of them). */
  responseText(generated: readonly number[]): string {
    const end = generated.indexOf(EOS_ID);
    return this.decode(end < 0 ? generated : generated.slice(0, end));
  }
}

export class Tokenizer extends SequenceTokenizer {
  /** Every token string by id: the specials, then the pieces. */
  readonly vocab: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  /** `pieces` are the words or characters of the vocabulary (ids 4, 5, ... in this order). */
  constructor(
    readonly level: TokenizerLevel,
    pieces: readonly string[],
  ) {
    super();
    const specials: readonly string[] = SPECIAL_TOKENS;
    for (const p of pieces) {
      if (specials.includes(p)) throw new Error(`Tokenizer: '${p}' is a special token and cannot be a piece`);
      if (level === 'char' && [...p].length !== 1) throw new Error(`Tokenizer: character-level piece '${p}' is not one character`);
      if (level === 'word' && (p.length === 0 || /\s/.test(p)))
        throw new Error(`Tokenizer: word-level piece '${p}' is empty or contains whitespace`);
    }
    this.vocab = [...SPECIAL_TOKENS, ...pieces];
    this.ids = new Map(this.vocab.map((t, i) => [t, i]));
    if (this.ids.size !== this.vocab.length) throw new Error('Tokenizer: pieces must be distinct');
  }

  /** A tokenizer whose pieces are every word or character of `texts`, sorted (so the ids are deterministic). */
  static fromTexts(texts: Iterable<string>, level: TokenizerLevel): Tokenizer {
    const pieces = new Set<string>();
    for (const text of texts) for (const p of splitText(text, level)) pieces.add(p);
    return new Tokenizer(level, [...pieces].sort());
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Ids of the pieces of `text` (no special tokens added); an unknown piece is an error. */
  encode(text: string): number[] {
    return splitText(text, this.level).map((p) => {
      const id = this.ids.get(p);
      if (id === undefined || id < SPECIAL_TOKENS.length) throw new Error(`Tokenizer.encode: '${p}' is not in the vocabulary`);
      return id;
    });
  }

  /** Text for `ids`; special tokens are dropped unless `keepSpecial`. */
  decode(ids: readonly number[], keepSpecial = false): string {
    const parts: string[] = [];
    for (const id of ids) {
      const token = this.vocab[id];
      if (token === undefined || !Number.isInteger(id)) throw new Error(`Tokenizer.decode: ${id} is not an id in [0, ${this.vocabSize})`);
      if (id < SPECIAL_TOKENS.length && !keepSpecial) continue;
      parts.push(token);
    }
    return parts.join(this.level === 'word' ? ' ' : '');
  }

  /** Pads sequences (plain ids, or encoded examples with their response masks) to one length with PAD. */
  padBatch(sequences: readonly (readonly number[] | EncodedExample)[], options: PadOptions = {}): PaddedBatch {
    const items = sequences.map((s) => (isExample(s) ? s : { ids: [...s], responseMask: s.map(() => 0) }));
    const longest = Math.max(0, ...items.map((s) => s.ids.length));
    const length = options.length ?? longest;
    if (length < longest) throw new Error(`Tokenizer.padBatch: a sequence has ${longest} tokens, more than length ${length}`);
    const left = options.side === 'left';
    const fill = (row: readonly number[], value: number): number[] => {
      const padding = new Array<number>(length - row.length).fill(value);
      return left ? [...padding, ...row] : [...row, ...padding];
    };
    return {
      ids: items.map((s) => fill(s.ids, PAD_ID)),
      paddingMask: items.map((s) =>
        fill(
          s.ids.map(() => 1),
          0,
        ),
      ),
      responseMask: items.map((s) => fill(s.responseMask, 0)),
    };
  }
}

function isExample(s: readonly number[] | EncodedExample): s is EncodedExample {
  return !Array.isArray(s);
}

/** Words (split on whitespace) or characters (Unicode code points). */
export function splitText(text: string, level: TokenizerLevel): string[] {
  return level === 'word' ? text.split(/\s+/).filter((w) => w.length > 0) : [...text];
}

/** Splits text around the special tokens' strings: [segment, specialId | null] in order. */
export function splitSpecials(text: string): { text: string; special: number | null }[] {
  const out: { text: string; special: number | null }[] = [];
  let rest = text;
  while (rest.length > 0) {
    let at = -1;
    let which = -1;
    SPECIAL_TOKENS.forEach((s, id) => {
      const i = rest.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) [at, which] = [i, id];
    });
    if (at < 0) {
      out.push({ text: rest, special: null });
      break;
    }
    if (at > 0) out.push({ text: rest.slice(0, at), special: null });
    out.push({ text: SPECIAL_TOKENS[which]!, special: which });
    rest = rest.slice(at + SPECIAL_TOKENS[which]!.length);
  }
  return out;
}
