/**
 * Data out, token for token: every row of each iteration's D_t, tokenised as TRL does (`prompt + chosen` as one
 * string, BOS before, EOS after), gives exactly the row the project trained on; the rows import back.
 */
import { describe, expect, test } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { defaultsFor } from '../../src/lab/config.js';
import { parsePreferencesJsonl } from '../../src/lab/data.js';
import { iterationRows } from '../../src/lab/data/iteration-data.js';
import { trlRowMatches, trlTokenize } from '../../src/lab/data/trl-layout.js';
import { TrueRewardRanker } from '../../src/lab/judges.js';
import { initialPolicy, runExperiment } from '../../src/lab/runner.js';
import { MemoryStorage, readText } from '../../src/lab/storage.js';
import { makeLanguageWorld, DEFAULT_LANGUAGE } from '../../src/lab/worlds/language.js';
import { readFileSync } from 'node:fs';
import { ByteBpeTokenizer } from '../../src/nn/byte-bpe.js';
import { hfTokenizerFiles, tokenizerFromHfFiles } from '../../src/nn/hf-tokenizer.js';
import { DEFAULT_TEXT, makeTextWorld } from '../../src/lab/worlds/text.js';
import type { Tokens } from '../../src/selm/types.js';
import { runAlgorithm, runSft, type TrainingTriple } from '../../src/selm/algorithm.js';

describe('TRL layout', () => {
  test('language world: rows matched out of rows exported, over two iterations of Algorithm 1', () => {
    const config = defaultsFor('language');
    const world = makeLanguageWorld(DEFAULT_LANGUAGE, 0);
    const policy = initialPolicy(config, world, 0);
    // After SFT, as in a run: an untrained model rarely ends its y_ref within the length cap.
    runSft(policy, world.demonstrations, config.sft, new Generator(2));
    const ranker = new TrueRewardRanker(world.trueReward);
    const data: TrainingTriple[][] = [];
    runAlgorithm(policy, world.preferences.slice(0, 96), ranker, { ...config.algorithm, iterations: 2, epochs: 1 }, new Generator(1), {
      onIterationEnd: (info) => data.push([...info.data]),
    });
    const encode = (text: string): number[] => world.tokenizer.encodeWithSpecials(text);
    let exported = 0;
    let matched = 0;
    let truncated = 0;
    let imported = 0;
    for (const d of data) {
      const rows = iterationRows(world, d, ranker);
      rows.forEach((row, i) => {
        const t = d[i]!;
        exported++;
        if (row.truncated) truncated++;
        const ok = [t.chosen, t.rejected].every((y, k) =>
          trlRowMatches(encode, row.prompt, k === 0 ? row.chosen : row.rejected, [...t.prompt, ...y], t.prompt.length),
        );
        if (ok) matched++;
        expect(ok).toBe(!row.truncated);
        expect(row.score_chosen).toBe(world.trueReward(t.prompt, t.chosen));
      });
      // The rows import back to the same tokens; left out: truncated ones (they would gain the EOS TRL adds) and
      // those whose sampled y_ref holds a special token, which the world's closed vocabulary does not accept as text.
      const plain = rows.map((r, i) => ({ r, i })).filter(({ r }) => !r.truncated && !/<(pad|bos|eos|sep)>/.test(r.chosen + r.rejected));
      const back = parsePreferencesJsonl(plain.map(({ r }) => JSON.stringify(r)).join('\n'), world, 'dt');
      back.forEach((p, k) => {
        const t = d[plain[k]!.i]!;
        expect(p).toEqual({ prompt: t.prompt, chosen: t.chosen, rejected: t.rejected });
      });
      imported += back.length;
    }
    console.log(
      `TRL layout (language world): ${matched} of ${exported} exported rows tokenise exactly (${truncated} truncated); ${imported} imported back`,
    );
    expect(exported).toBe(96);
    expect(matched).toBe(exported - truncated);
  });

  test('text world: rows matched out of rows exported, checked with the exported tokenizer files; the others flagged', () => {
    const text = readFileSync('examples/text/preferences.jsonl', 'utf8');
    const world = makeTextWorld({ ...DEFAULT_TEXT, vocabSize: 360, contextLength: 40, maxLength: 14, testFraction: 0.25 }, 0, {
      preferences: { text, file: 'preferences.jsonl' },
      demonstrations: null,
      judge: null,
    });
    const config = defaultsFor('text');
    config.model = { width: 16, heads: 2, layers: 1, mlpRatio: 2, init: null };
    const policy = initialPolicy(config, world, 0);
    // A barely trained model samples y_ref in odd pieces: some rows cannot be exact, and must say so.
    runSft(policy, world.demonstrations, { ...config.sft, steps: 10 }, new Generator(2));
    const shortestFirst = {
      name: 'shortest',
      rank: (_: Tokens, c: readonly Tokens[]) => c.map((_y, i) => i).sort((a, b) => c[a]!.length - c[b]!.length),
    };
    const data: TrainingTriple[][] = [];
    runAlgorithm(
      policy,
      world.preferences,
      shortestFirst,
      { ...config.algorithm, iterations: 2, epochs: 1, batchSize: 9, yRef: 'sample' },
      new Generator(1),
      {
        onIterationEnd: (info) => data.push([...info.data]),
      },
    );
    const files = hfTokenizerFiles(world.tokenizer, 40);
    const exported = tokenizerFromHfFiles(files['vocab.json']!, files['merges.txt']!);
    const count = { rows: 0, matched: 0, truncated: 0, retokenized: 0 };
    for (const d of data)
      iterationRows(world, d, null).forEach((row, i) => {
        const t = d[i]!;
        count.rows++;
        if (row.truncated) count.truncated++;
        if (row.retokenized) count.retokenized++;
        const ok = [t.chosen, t.rejected].every((y, k) =>
          trlRowMatches((s) => exported.encode(s), row.prompt, k === 0 ? row.chosen : row.rejected, [...t.prompt, ...y], t.prompt.length),
        );
        if (ok) count.matched++;
        expect(ok).toBe(!row.truncated && !row.retokenized);
      });
    console.log(`TRL layout (text world, byte-level BPE): ${JSON.stringify(count)}`);
    expect(count.rows).toBe(world.preferences.length);
    expect(count.matched).toBeGreaterThan(0);
    // This seed's samples include a y_ref that re-tokenises differently: the flag is exercised, not assumed.
    expect(count.retokenized).toBeGreaterThan(0);
  });

  test('byte-level text: prompt<sep> + response tokenises to BOS prompt SEP response EOS, for tricky joins', () => {
    const tok = new ByteBpeTokenizer([
      ['Ġ', 'w'],
      ['o', 'r'],
      ['Ġw', 'or'],
    ]);
    for (const [prompt, response] of [
      ['hello', ' world'],
      ['ends with space ', 'starts'],
      ["it'", 's'],
      ['<|user|>\nHi\n<|assistant|>\n', 'Hey 🦊'],
    ] as const) {
      const row = tok.encodeExample(prompt, response).ids;
      expect(trlTokenize((s) => tok.encode(s), `${prompt}<sep>`, response).ids).toEqual(row);
      // Without the separator the join would merge ("it'" + "s" is one GPT-2 piece): the layout matters.
      expect(trlRowMatches((s) => tok.encode(s), prompt, response, row, 1 + tok.encode(prompt).length + 1)).toBe(false);
    }
  });

  test("a run writes each iteration's D_t into its storage", async () => {
    const c = defaultsFor('language');
    c.name = 'dt';
    c.seeds = [0];
    c.sft.steps = 2;
    c.alphaSweep = [];
    c.algorithm.iterations = 2;
    c.algorithm.epochs = 1;
    c.eval.samples = 1;
    if (c.world.kind === 'language') c.world = { ...c.world, pairsPerPrompt: 2 };
    const storage = new MemoryStorage();
    await runExperiment(c, { storage });
    const files = storage.paths().filter((p) => p.startsWith('data/'));
    expect(files).toEqual([
      'data/seed0/dpo/iter1.jsonl',
      'data/seed0/dpo/iter2.jsonl',
      'data/seed0/selm/iter1.jsonl',
      'data/seed0/selm/iter2.jsonl',
    ]);
    const first = JSON.parse(readText(storage, files[0]!).split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining(['prompt', 'chosen', 'rejected', 'reference_response', 'score_chosen', 'score_rejected', 'score_reference']),
    );
    expect(first.prompt).toMatch(/<sep>$/);
  });
});
