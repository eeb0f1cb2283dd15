/**
 * The text world end to end through the command line: a run with the sample judge module, `selm eval` on it
 * (the run's judge evaluates held-out prompts again), `selm export hf`, and a new run that starts from the
 * exported folder (`model.init`), whose first iteration's reference policy has the exported model's logits; the
 * same in the language world, where the folder's vocabulary must be the world's. Judge-module errors and
 * starting-model mismatches exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStartingModel, readHfFolder } from '../../src/lab/node/hf-folder.js';
import { loadJudgeModule } from '../../src/lab/node/load-judge.js';
import { parseExperimentConfig } from '../../src/lab/config.js';
import { fillModelShape } from '../../src/lab/starting-model.js';
import { MemoryStorage } from '../../src/lab/storage.js';
import { FolderStorage } from '../../src/lab/node/folder-storage.js';
import { checkpointPath, readRunConfig, RunInterrupted, runExperiment } from '../../src/lab/runner.js';
import type { GPT } from '../../src/nn/gpt.js';
import { loadModel } from '../../src/nn/node/checkpoint-file.js';
import { Generator } from '../../src/autograd/index.js';
import { selm } from './capture.js';
import { maxAbsDiff } from '../nn/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'selm-text-runs-'));

/** A small text-world config (the sample data and judge) with `extra` merged in at the top level. */
function textConfig(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(root, `${name}.json`);
  const config = {
    name,
    world: { kind: 'text', tokenizer: 'bpe', vocabSize: 300, contextLength: 40, maxLength: 14, testFraction: 0.25 },
    preferences: 'examples/text/preferences.jsonl',
    ranker: { kind: 'module', path: 'examples/text/judge.mjs' },
    model: { width: 16, heads: 2, layers: 1, mlpRatio: 2 },
    sft: { steps: 6, batchSize: 8 },
    algorithm: { iterations: 1, epochs: 1, batchSize: 9 },
    alphaSweep: [],
    seeds: [0],
    eval: { samples: 2 },
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function train(config: string, out: string): Promise<{ code: number; stderr: string }> {
  const r = await selm('train', '--config', config, '--out', out, '--json');
  return { code: r.code, stderr: r.stderr };
}

/** The model of a run's SFT checkpoint: with sft.steps 0, the reference policy π_ref of iteration 1. */
function sftModel(run: string, like: GPT): GPT {
  const model = like.clone('float32', new Generator(9));
  const seed = readRunConfig(new FolderStorage(run)).seeds[0]!;
  loadModel(join(run, checkpointPath(seed, 'SFT', 'sft')), model);
  return model;
}

/** The two models' logits are equal (maxAbsDiff is Infinity when their lengths differ). */
function expectSameLogits(a: GPT, b: GPT, ids: number[][]): void {
  expect(maxAbsDiff(a.forward(ids).data, b.forward(ids).data)).toBe(0);
}

const textRun = join(root, 'text');
const hf = join(root, 'hf');

beforeAll(async () => {
  const r = await train(textConfig('text'), textRun);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const e = await selm('export', 'hf', textRun, '--out', hf);
  expect(e.code).toBe(0);
}, 120_000);

describe('text runs', () => {
  it("selm eval re-evaluates a text run with the run's judge module and reproduces eval.json", async () => {
    const before = readFileSync(join(textRun, 'eval.json'), 'utf8');
    const r = await selm('eval', textRun, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(textRun, 'eval.json'), 'utf8')).toBe(before);
  });

  it('selm eval on a text run with a learned judge trains it again as the run did and reproduces eval.json', async () => {
    const run = join(root, 'learned');
    const config = textConfig('learned', { ranker: { kind: 'learned', steps: 20, batchSize: 8, heldOutFraction: 0.25 } });
    expect((await train(config, run)).code).toBe(0);
    const before = readFileSync(join(run, 'eval.json'), 'utf8');
    const r = await selm('eval', run);
    expect(r.code).toBe(0);
    expect(readFileSync(join(run, 'eval.json'), 'utf8')).toBe(before);
  }, 60_000);

  it("a run started from the exported folder: iteration 1's reference policy has the folder's logits", async () => {
    const out = join(root, 'from-hf');
    const config = textConfig('from-hf', { model: { init: { hf } }, sft: { steps: 0 } });
    const r = await train(config, out);
    expect(r.code).toBe(0);
    // The folder set the model's shape, recorded in the run's config.
    const recorded = readRunConfig(new FolderStorage(out)).model;
    expect(recorded).toEqual({ width: 16, heads: 2, layers: 1, mlpRatio: 2, init: { hf }, backend: 'cpu' });
    const exported = readHfFolder(hf).model;
    const tokenizer = readHfFolder(hf).tokenizer!;
    const ids = [tokenizer.encodeExample('Say hello to Ada.', 'Hello, Ada!').ids];
    expectSameLogits(sftModel(out, exported), exported, ids);
    // selm eval and selm export hf read the folder again (its shape, its tokenizer).
    expect((await selm('eval', out)).code).toBe(0);
    expect((await selm('export', 'hf', out, '--iteration', '0', '--out', join(root, 'again'))).code).toBe(0);
    expectSameLogits(readHfFolder(join(root, 'again')).model, exported, ids);
  }, 60_000);

  it('a run started from the folder and interrupted resumes to the same checkpoints, bit for bit', async () => {
    const config = parseExperimentConfig(
      JSON.parse(
        readFileSync(
          textConfig('resume', { model: { init: { hf } }, sft: { steps: 2 }, algorithm: { iterations: 2, epochs: 1, batchSize: 9 } }),
          'utf8',
        ),
      ),
    );
    const start = loadStartingModel(hf);
    const options = { readFile: (p: string) => readFileSync(p, 'utf8'), loadJudge: loadJudgeModule, loadModel: () => start };
    const whole = new MemoryStorage();
    await runExperiment(fillModelShape(config, {}, start), { ...options, storage: whole });
    const parts = new MemoryStorage();
    await expect(
      runExperiment(fillModelShape(config, {}, start), { ...options, storage: parts, stopAfterIterations: 1 }),
    ).rejects.toBeInstanceOf(RunInterrupted);
    await runExperiment(fillModelShape(config, {}, start), { ...options, storage: parts, resume: true });
    const last = checkpointPath(0, 'SELM', 2);
    expect(Buffer.from(parts.read(last)).equals(Buffer.from(whole.read(last)))).toBe(true);
  }, 60_000);

  it('starting-model mismatches are invalid input (exit 2) naming both sides, and nothing is written', async () => {
    const width = await train(textConfig('w', { model: { width: 32, init: { hf } } }), join(root, 'w'));
    expect(width.code).toBe(2);
    expect(width.stderr).toMatch(/model\.width: 32 in the config, but .* has n_embd 16/);
    const context = await train(
      textConfig('c', { model: { init: { hf } }, world: { kind: 'text', contextLength: 60, maxLength: 14 } }),
      join(root, 'c'),
    );
    expect(context.code).toBe(2);
    expect(context.stderr).toMatch(/rows of up to 60 tokens do not fit .*n_positions 40/);
    const missing = await train(textConfig('m', { model: { init: { hf: join(root, 'nope') } } }), join(root, 'm'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/model\.init: .*nope: no such folder/);
    const language = join(root, 'lang.json');
    writeFileSync(language, JSON.stringify({ world: { kind: 'language' }, model: { init: { hf } }, seeds: [0] }));
    const vocab = await train(language, join(root, 'l'));
    expect(vocab.code).toBe(2);
    expect(vocab.stderr).toMatch(/the language world has 10 token ids, .* has vocab_size 300/);
    const form = await train(textConfig('f', { model: { init: { hf, revision: 'main' } } }), join(root, 'f'));
    expect(form.code).toBe(2);
    expect(form.stderr).toMatch(/model\.init: must be null or \{"hf": /);
    for (const dir of ['w', 'c', 'm', 'l', 'f']) expect(() => readFileSync(join(root, dir, 'config.json'))).toThrow();
  }, 60_000);

  it('judge-module errors are invalid input (exit 2) naming the module', async () => {
    const none = await train(textConfig('j1', { ranker: { kind: 'module', path: join(root, 'missing.mjs') } }), join(root, 'j1'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/judge .*missing\.mjs: no such file/);
    const empty = join(root, 'empty.mjs');
    writeFileSync(empty, 'export const x = 1;\n');
    const exportsNothing = await train(textConfig('j2', { ranker: { kind: 'module', path: empty } }), join(root, 'j2'));
    expect(exportsNothing.code).toBe(2);
    expect(exportsNothing.stderr).toMatch(/exports neither score\(prompt, response\) nor rank/);
    const throwing = join(root, 'throws.mjs');
    writeFileSync(throwing, "export function score() { throw new Error('no opinion'); }\n");
    const threw = await train(textConfig('j3', { ranker: { kind: 'module', path: throwing } }), join(root, 'j3'));
    expect(threw.code).toBe(2);
    expect(threw.stderr).toMatch(/judge .*throws\.mjs: score\(.*\) threw: no opinion/);
    const broken = join(root, 'broken.mjs');
    writeFileSync(broken, 'export function score( {\n');
    const syntax = await train(textConfig('j4', { ranker: { kind: 'module', path: broken } }), join(root, 'j4'));
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/judge .*broken\.mjs: cannot be loaded/);
  }, 60_000);
});

describe('language runs from a Hugging Face folder', () => {
  it("a language run's export starts another language run (same vocabulary): the same logits", async () => {
    const base = { world: { kind: 'language', pairsPerPrompt: 2 }, alphaSweep: [], algorithm: { iterations: 1, epochs: 1 } };
    const first = join(root, 'lang1.json');
    writeFileSync(first, JSON.stringify({ ...base, name: 'l1', seeds: [1], sft: { steps: 3 }, eval: { samples: 1 } }));
    expect((await train(first, join(root, 'l1'))).code).toBe(0);
    const folder = join(root, 'l1-hf');
    expect((await selm('export', 'hf', join(root, 'l1'), '--iteration', '0', '--out', folder)).code).toBe(0);
    const second = join(root, 'lang2.json');
    const config = { ...base, name: 'l2', seeds: [0], model: { init: { hf: folder } }, sft: { steps: 0 }, eval: { samples: 1 } };
    writeFileSync(second, JSON.stringify(config));
    expect((await train(second, join(root, 'l2'))).code).toBe(0);
    const exported = readHfFolder(folder).model;
    expectSameLogits(sftModel(join(root, 'l2'), exported), exported, [[1, 4, 5, 3, 6, 7]]);
  }, 60_000);
});

describe('selm judges', () => {
  it('runs r* and the learned judge on one language config and writes the comparison', async () => {
    const config = join(root, 'judges.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'j',
        world: { kind: 'language', pairsPerPrompt: 2 },
        seeds: [0, 1],
        alphaSweep: [],
        sft: { steps: 3 },
        algorithm: { iterations: 1, epochs: 1 },
        eval: { samples: 1 },
        ranker: { kind: 'learned', steps: 5 },
      }),
    );
    const out = join(root, 'judges');
    const r = await selm('judges', '--config', config, '--out', out, '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as {
      type: string;
      comparison: { rows: { method: string }[]; judge: { config: { steps: number }; rankedPairs: number } };
    };
    expect(result.type).toBe('result');
    expect(result.comparison.rows.map((x) => x.method)).toEqual(['DPO', 'SELM']);
    // The config's own learned judge is the one compared, and its D_t were read back.
    expect(result.comparison.judge.config.steps).toBe(5);
    expect(result.comparison.judge.rankedPairs).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/On the pairs it chose in Algorithm 1 .* it agrees with r\* on/);
    // A config with its own preferences file: the comparison reads the runs' D_t, not the file, and finishes.
    const prefs = join(root, 'judges-prefs.jsonl');
    expect((await selm('data', 'export', '--world', 'language', '--out', prefs)).code).toBe(0);
    const withFile = join(root, 'judges-file.json');
    writeFileSync(withFile, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), seeds: [0], preferences: prefs }));
    const own = await selm('judges', '--config', withFile, '--out', join(root, 'judges-file'), '--json');
    expect(own.stderr).toBe('');
    expect(own.code).toBe(0);
    const text = await selm('judges', '--config', textConfig('jt'), '--out', join(root, 'jt'));
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/needs a world with a known r\* .* got 'text'/);
  }, 120_000);
});
