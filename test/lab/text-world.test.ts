/** The text world on the shipped sample set, with the user's judge as a module (loaded once, errors named). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseExperimentConfig } from '../../src/lab/config.js';
import { iterationRows } from '../../src/lab/data/iteration-data.js';
import { trlRowMatches } from '../../src/lab/data/trl-layout.js';
import { loadJudgeModule } from '../../src/lab/node/load-judge.js';
import { buildWorld, runExperiment } from '../../src/lab/runner.js';
import { MemoryStorage, readText } from '../../src/lab/storage.js';
import type { TextWorld } from '../../src/lab/worlds/text.js';

const sample = readFileSync('examples/text/config.json', 'utf8');
const config = parseExperimentConfig(JSON.parse(sample), 'examples/text/config.json');
const preferencesText = readFileSync(config.preferences!, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'selm-judge-'));
function judgeFile(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

describe('module judge', () => {
  test('the sample judge loads and scores; a rank-only module ranks', async () => {
    const judge = await loadJudgeModule('examples/text/judge.mjs');
    expect(judge.score!('Say hello to Ada.', 'Hello, Ada!')).toBeGreaterThan(judge.score!('Say hello to Ada.', 'Go away.'));
    const ranker = await loadJudgeModule(judgeFile('rank.mjs', 'export function rank(p, rs) { return rs.map((_, i) => i).reverse(); }'));
    expect(ranker.score).toBeNull();
    expect(ranker.rank('p', ['a', 'b', 'c'])).toEqual([2, 1, 0]);
  });

  test('a broken module is a clear error naming it', async () => {
    await expect(loadJudgeModule(join(dir, 'missing.mjs'))).rejects.toThrow(/judge .*missing\.mjs: no such file/);
    await expect(loadJudgeModule(judgeFile('syntax.mjs', 'export function score( {'))).rejects.toThrow(
      /judge .*syntax\.mjs: cannot be loaded/,
    );
    await expect(loadJudgeModule(judgeFile('none.mjs', 'export const x = 1;'))).rejects.toThrow(
      /none\.mjs: exports neither score\(prompt, response\) nor rank\(prompt, responses\) \(it exports x\)/,
    );
    const nan = await loadJudgeModule(judgeFile('nan.mjs', 'export function score() { return NaN; }'));
    expect(() => nan.score!('p', 'r')).toThrow(/nan\.mjs: score\("p", "r"\) returned NaN, not a finite number/);
    const throws = await loadJudgeModule(judgeFile('throws.mjs', 'export function score() { throw new Error("boom"); }'));
    expect(() => throws.rank('p', ['a', 'b'])).toThrow(/throws\.mjs: score\("p", "a"\) threw: boom/);
    const bad = await loadJudgeModule(judgeFile('badrank.mjs', 'export function rank() { return [0, 0]; }'));
    expect(() => bad.rank('p', ['a', 'b'])).toThrow(/badrank\.mjs: rank\(\.\.\.\) returned \[0,0\], not a permutation/);
  });
});

describe('text world', () => {
  test('held-out prompts are never trained on; every row lays out as BOS prompt SEP response EOS', async () => {
    const judge = await loadJudgeModule('examples/text/judge.mjs');
    const world = buildWorld(config, 0, preferencesText, { judge }) as TextWorld;
    const key = (p: readonly number[]): string => p.join();
    const train = new Set(world.trainPrompts.map(key));
    expect(world.testPrompts.length).toBe(9);
    expect(world.testPrompts.some((p) => train.has(key(p)))).toBe(false);
    expect(world.preferences.every((p) => train.has(key(p.prompt)))).toBe(true);
    expect(world.preferences.length + world.testPreferences.length).toBe(36);
    expect(world.tokenizer.vocabSize).toBeLessThanOrEqual(360);
    // TRL's tokenisation of the D_t rows equals the training rows, every one.
    const rows = iterationRows(
      world,
      world.preferences.map((p) => ({ ...p, yRef: p.rejected })),
      null,
    );
    const matched = rows.filter((r, i) =>
      trlRowMatches(
        (s) => world.tokenizer.encode(s),
        r.prompt,
        r.chosen,
        [...world.preferences[i]!.prompt, ...world.preferences[i]!.chosen],
        world.preferences[i]!.prompt.length,
      ),
    ).length;
    expect(matched).toBe(rows.length);
    // Evaluation without a judge says why it cannot.
    const blind = buildWorld(config, 0, preferencesText);
    expect(() => blind.trueReward(blind.testPrompts[0]!, [2])).toThrow(/no hidden reward: evaluation needs a judge/);
  });

  test("a run on the sample set with the module judge writes D_t with the judge's scores", async () => {
    let loads = 0;
    const small = {
      ...config,
      model: { width: 16, heads: 2, layers: 1, mlpRatio: 2 },
      sft: { ...config.sft, steps: 10 },
      algorithm: { ...config.algorithm, iterations: 1, epochs: 1 },
      eval: { ...config.eval, samples: 1 },
    };
    const storage = new MemoryStorage();
    await runExperiment(small, {
      storage,
      readFile: (p) => readFileSync(p, 'utf8'),
      loadJudge: (p) => {
        loads++;
        return loadJudgeModule(p);
      },
    });
    expect(loads).toBe(1);
    const rows = readText(storage, 'data/seed0/selm/iter1.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBe(27);
    expect(rows.every((r) => typeof r.score_chosen === 'number' && (r.score_chosen as number) >= (r.score_rejected as number))).toBe(true);
  });

  test('config errors: a text world needs a module judge and a preferences file', () => {
    expect(() => parseExperimentConfig({ world: { kind: 'text' }, preferences: null, ranker: { kind: 'true-reward' } })).toThrow(
      /preferences: the text world needs a JSONL preference file[\s\S]*ranker\.kind: the text world has no true reward|ranker\.kind: the text world has no true reward[\s\S]*preferences: the text world needs/,
    );
    expect(() => parseExperimentConfig({ world: { kind: 'text', tokenizer: 'words' }, ranker: { kind: 'module' } })).toThrow(
      /world\.tokenizer: must be 'byte' or 'bpe'[\s\S]*ranker\.path: must be the path/,
    );
  });
});
