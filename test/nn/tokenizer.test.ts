/** The small-world tokenizer: special ids, encode/decode round trips, example layout and padding masks. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BOS_ID, EOS_ID, PAD_ID, SEP_ID, Tokenizer, nextTokenBatch, IGNORE_INDEX } from '../../src/nn/index.js';

describe('Tokenizer', () => {
  const words = Tokenizer.fromTexts(['the cat sat', 'a dog ran far'], 'word');
  const chars = Tokenizer.fromTexts(['abc', 'cab d'], 'char');

  test('specials take ids 0-3; pieces follow, sorted', () => {
    expect([PAD_ID, BOS_ID, EOS_ID, SEP_ID]).toEqual([0, 1, 2, 3]);
    expect(words.vocab.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<sep>']);
    expect(words.vocab.slice(4)).toEqual(['a', 'cat', 'dog', 'far', 'ran', 'sat', 'the']);
    expect(chars.vocab.slice(4)).toEqual([' ', 'a', 'b', 'c', 'd']);
    expect(words.vocabSize).toBe(11);
  });

  test('decode(encode(text)) gives the text back (words: whitespace normalised)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('the', 'cat', 'sat', 'a', 'dog'), { maxLength: 8 }), (ws) => {
        return words.decode(words.encode(ws.join('  '))) === ws.join(' ');
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', ' '), { maxLength: 8 }),
        (cs) => chars.decode(chars.encode(cs.join(''))) === cs.join(''),
      ),
    );
  });

  test('an unknown piece is a clear error; specials are dropped by decode unless kept', () => {
    expect(() => words.encode('the cow')).toThrow(/'cow' is not in the vocabulary/);
    expect(() => words.encode('<eos>')).toThrow(/'<eos>' is not in the vocabulary/);
    expect(words.decode([BOS_ID, 10, EOS_ID])).toBe('the');
    expect(words.decode([BOS_ID, 10, EOS_ID], true)).toBe('<bos> the <eos>');
    expect(() => words.decode([99])).toThrow(/99 is not an id/);
  });

  test('examples are BOS prompt SEP response EOS, with the response (and EOS) marked', () => {
    const ex = words.encodeExample('the cat', 'sat');
    expect(ex.ids).toEqual([BOS_ID, 10, 5, SEP_ID, 9, EOS_ID]);
    expect(ex.responseMask).toEqual([0, 0, 0, 0, 1, 1]);
    expect(words.encodePrompt('the cat')).toEqual([BOS_ID, 10, 5, SEP_ID]);
    expect(words.responseText([9, EOS_ID, 4])).toBe('sat');
  });

  test('padBatch pads right (training) or left (generation) with masks', () => {
    const a = words.encodeExample('the', 'sat');
    const b = words.encodeExample('a dog', 'ran far');
    const right = words.padBatch([a, b]);
    expect(right.ids[0]).toEqual([...a.ids, PAD_ID, PAD_ID]);
    expect(right.paddingMask[0]).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(right.responseMask[0]).toEqual([0, 0, 0, 1, 1, 0, 0]);
    expect(right.responseMask[1]).toEqual(b.responseMask);
    const left = words.padBatch(
      [
        [1, 2],
        [1, 2, 3],
      ],
      { side: 'left' },
    );
    expect(left.ids).toEqual([
      [PAD_ID, 1, 2],
      [1, 2, 3],
    ]);
    expect(left.paddingMask).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
    expect(() => words.padBatch([[1, 2, 3]], { length: 2 })).toThrow(/more than length 2/);
  });

  test('nextTokenBatch with the response mask learns response tokens only', () => {
    const batch = words.padBatch([words.encodeExample('the', 'sat'), words.encodeExample('a dog', 'ran')]);
    const shifted = nextTokenBatch(batch.ids, { lossMask: batch.responseMask, paddingMask: batch.paddingMask });
    expect(shifted.inputs[0]).toEqual(batch.ids[0]!.slice(0, -1));
    // Row 0: BOS the SEP sat EOS PAD -> targets the SEP sat EOS PAD, of which only sat and EOS count.
    expect(shifted.targets[0]).toEqual([IGNORE_INDEX, IGNORE_INDEX, 9, EOS_ID, IGNORE_INDEX]);
    expect(shifted.paddingMask![0]).toEqual([1, 1, 1, 1, 1]);
  });

  test('constructor rejects bad pieces', () => {
    expect(() => new Tokenizer('word', ['a', 'a'])).toThrow(/distinct/);
    expect(() => new Tokenizer('word', ['<pad>'])).toThrow(/special token/);
    expect(() => new Tokenizer('char', ['ab'])).toThrow(/not one character/);
  });
});
