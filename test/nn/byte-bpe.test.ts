/** Byte-level BPE: any UTF-8 string round-trips, training is deterministic, HF files read back the same. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ByteBpeTokenizer, BYTE_OFFSET, preTokenize } from '../../src/nn/byte-bpe.js';
import { trainByteBpe } from '../../src/nn/bpe-train.js';
import { hfTokenizerFiles, tokenizerFromHfFiles } from '../../src/nn/hf-tokenizer.js';
import { BOS_ID, EOS_ID, SEP_ID } from '../../src/nn/tokenizer.js';

const corpus = [
  'The quick brown fox jumps over the lazy dog.',
  "Don't panic: the fox's den is near the river's bend.",
  'Café au lait, naïve façade, 東京タワー, emoji 🦊🦊 and numbers 1234 5678.',
  'the the the the fox fox fox jumps jumps\r\n\ttabs and  double  spaces',
];
const trained = trainByteBpe(corpus, { vocabSize: 320 });

describe('ByteBpeTokenizer', () => {
  test('any UTF-8 string encodes and decodes to itself (bytes alone and with merges)', () => {
    const plain = new ByteBpeTokenizer();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        expect(plain.decode(plain.encode(s), true)).toBe(s);
        expect(trained.decode(trained.encode(s), true)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });

  test('mixed text with specials, CRLF and astral characters round-trips; specials become their ids', () => {
    const text = 'a\r\nb<sep>🦊 x<eos>';
    const ids = trained.encode(text);
    expect(ids).toContain(SEP_ID);
    expect(ids[ids.length - 1]).toBe(EOS_ID);
    expect(trained.decode(ids, true)).toBe(text);
    expect(trained.decode(ids)).toBe('a\r\nb🦊 x');
  });

  test('pre-tokens cover the text (GPT-2 pattern)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => preTokenize(s).join('') === s));
    expect(preTokenize("I'll see  you")).toEqual(['I', "'ll", ' see', ' ', ' you']);
  });

  test('layout: BOS prompt SEP response EOS, response mask on the response and EOS', () => {
    const ex = trained.encodeExample('hi', 'yo');
    expect(ex.ids[0]).toBe(BOS_ID);
    expect(ex.ids[ex.ids.length - 1]).toBe(EOS_ID);
    expect(ex.ids.indexOf(SEP_ID)).toBe(ex.ids.length - 1 - trained.encode('yo').length - 1);
    expect(ex.responseMask.reduce((a, b) => a + b, 0)).toBe(trained.encode('yo').length + 1);
  });
});

describe('trainByteBpe', () => {
  test('deterministic: the same texts give the same merges, in either call order', () => {
    const again = trainByteBpe(corpus, { vocabSize: 320 });
    expect(again.merges).toEqual(trained.merges);
    expect(trained.vocabSize).toBeGreaterThan(BYTE_OFFSET + 256);
    expect(trained.vocabSize).toBeLessThanOrEqual(320);
  });

  test('frequent words compress: "the" and " fox" become single tokens', () => {
    expect(trained.encode('the')).toHaveLength(1);
    expect(trained.encode(' fox')).toHaveLength(1);
    expect(trained.encode('the fox').length).toBeLessThan(new ByteBpeTokenizer().encode('the fox').length);
  });

  test('rejects a vocabulary smaller than the bytes', () => {
    expect(() => trainByteBpe(corpus, { vocabSize: 100 })).toThrow(/vocabSize must be an integer >= 260/);
  });
});

describe('Hugging Face tokenizer files', () => {
  test('vocab.json + merges.txt read back into the same tokenizer', () => {
    const files = hfTokenizerFiles(trained, 64);
    expect(files['merges.txt']!.split('\n')[0]).toBe('#version: 0.2');
    const back = tokenizerFromHfFiles(files['vocab.json']!, files['merges.txt']!);
    expect(back.vocab).toEqual(trained.vocab);
    for (const s of corpus) expect(back.encode(s)).toEqual(trained.encode(s));
    const fast = JSON.parse(files['tokenizer.json']!) as {
      model: { vocab: Record<string, number>; merges: string[] };
      added_tokens: { content: string; id: number }[];
    };
    expect(fast.model.merges).toHaveLength(trained.merges.length);
    expect(fast.added_tokens.map((t) => [t.content, t.id])).toEqual([
      ['<pad>', 0],
      ['<bos>', 1],
      ['<eos>', 2],
      ['<sep>', 3],
    ]);
  });

  test('a vocabulary in another layout is an error naming the token', () => {
    const files = hfTokenizerFiles(trained, 64);
    const vocab = JSON.parse(files['vocab.json']!) as Record<string, number>;
    vocab['!'] = 4;
    vocab['\u0100'] = 5 + BYTE_OFFSET;
    expect(() => tokenizerFromHfFiles(JSON.stringify(vocab), files['merges.txt']!)).toThrow(/vocab\.json: '.*' has id/);
  });
});
