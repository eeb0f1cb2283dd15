/**
 * A ByteBpeTokenizer as Hugging Face tokenizer files, and back. Pure (strings in, strings out).
 *
 *  - vocab.json + merges.txt: GPT-2's slow-tokenizer files (transformers GPT2Tokenizer reads them; the merges
 *    file starts with '#version: 0.2' and lists one 'a b' merge per line, as GPT-2's does);
 *  - tokenizer.json: the fast tokenizer (a BPE model with GPT-2's ByteLevel pre-tokenizer and decoder), the
 *    four specials as added tokens so they are split out before BPE, as byte-bpe.ts does;
 *  - tokenizer_config.json, special_tokens_map.json: which ids are BOS/EOS/PAD/SEP.
 */
import { ByteBpeTokenizer, BYTE_OFFSET, type Merge } from './byte-bpe.js';
import { SPECIAL_TOKENS, type Tokenizer } from './tokenizer.js';

const NAMES = { pad_token: '<pad>', bos_token: '<bos>', eos_token: '<eos>', sep_token: '<sep>' } as const;

/** The project's special tokens as tokenizer.json's added_tokens (ids 0.., never split or normalised). */
function hfAddedTokens(): Record<string, unknown>[] {
  return SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/** The tokenizer files by name. `contextLength` becomes `model_max_length`. */
export function hfTokenizerFiles(tokenizer: ByteBpeTokenizer, contextLength: number): Record<string, string> {
  const vocab: Record<string, number> = {};
  tokenizer.vocab.forEach((t, i) => (vocab[t] = i));
  const merges = tokenizer.merges.map(([a, b]) => `${a} ${b}`);
  const added = hfAddedTokens();
  const fast = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  const config = {
    tokenizer_class: 'GPT2Tokenizer',
    ...NAMES,
    add_bos_token: false,
    add_prefix_space: false,
    model_max_length: contextLength,
    clean_up_tokenization_spaces: false,
  };
  const json = (v: unknown): string => `${JSON.stringify(v, null, 1)}\n`;
  return {
    'vocab.json': json(vocab),
    'merges.txt': `#version: 0.2\n${merges.map((m) => `${m}\n`).join('')}`,
    'tokenizer.json': json(fast),
    'tokenizer_config.json': json(config),
    'special_tokens_map.json': json(NAMES),
  };
}

/**
 * Reads vocab.json + merges.txt written in this project's id layout (specials 0-3, bytes 4-259, merges after)
 * and checks vocab.json against it; another layout (GPT-2's own 50,257 ids, say) is an error naming the id.
 */
export function tokenizerFromHfFiles(vocabJson: string, mergesTxt: string, where = 'tokenizer'): ByteBpeTokenizer {
  const merges: Merge[] = [];
  mergesTxt.split(/\r?\n/).forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw new Error(`${where}/merges.txt:${i + 1}: expected 'a b', got ${JSON.stringify(line)}`);
    merges.push([parts[0]!, parts[1]!]);
  });
  const tokenizer = new ByteBpeTokenizer(merges);
  let vocab: unknown;
  try {
    vocab = JSON.parse(vocabJson);
  } catch (e) {
    throw new Error(`${where}/vocab.json: not valid JSON (${(e as Error).message})`);
  }
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab))
    throw new Error(`${where}/vocab.json: must be an object of token -> id`);
  const entries = Object.entries(vocab as Record<string, unknown>);
  if (entries.length !== tokenizer.vocabSize) {
    throw new Error(
      `${where}/vocab.json: has ${entries.length} tokens, the merges make ${tokenizer.vocabSize} (only this project's layout is read: specials 0-${BYTE_OFFSET - 1}, bytes ${BYTE_OFFSET}-${BYTE_OFFSET + 255})`,
    );
  }
  for (const [token, id] of entries) {
    if (tokenizer.vocab[id as number] !== token) {
      throw new Error(
        `${where}/vocab.json: '${token}' has id ${String(id)}, this project's layout gives it ${tokenizer.vocab.indexOf(token)}`,
      );
    }
  }
  return tokenizer;
}

/**
 * A word-level Tokenizer (the small worlds') as a fast-tokenizer file: a WordLevel model over whitespace-split
 * words, the specials as added tokens. GPT-2's BPE files cannot express it (its ids are words, not bytes), so
 * only tokenizer.json (PreTrainedTokenizerFast) is written. WordLevel needs an unknown token: '<pad>' stands in.
 */
export function hfWordLevelTokenizerFiles(tokenizer: Tokenizer, contextLength: number): Record<string, string> {
  if (tokenizer.level !== 'word')
    throw new Error(`hfWordLevelTokenizerFiles: a ${tokenizer.level}-level tokenizer has no Hugging Face form here`);
  const vocab: Record<string, number> = {};
  tokenizer.vocab.forEach((t, i) => (vocab[t] = i));
  const added = hfAddedTokens();
  const fast = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<pad>' },
  };
  const json = (v: unknown): string => `${JSON.stringify(v, null, 1)}\n`;
  return {
    'tokenizer.json': json(fast),
    'tokenizer_config.json': json({
      tokenizer_class: 'PreTrainedTokenizerFast',
      ...NAMES,
      model_max_length: contextLength,
      clean_up_tokenization_spaces: false,
    }),
    'special_tokens_map.json': json(NAMES),
  };
}
