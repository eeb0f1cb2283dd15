/**
 * A config is judged whole before anything is built or written: every problem at once (type errors and range
 * errors together), non-finite and prototype-named fields in plain words, seeds whose random streams would
 * collide, sections the world ignores, and sizes over the stated resource limits (with the knob to turn, and
 * `limits.*` as the explicit override). Each is exit 2 with nothing left on disk. A BOM is accepted, and a
 * preferences file is read once per run, whatever the number of seeds.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultsFor, MAX_SEED, parseExperimentConfig, parseExperimentConfigText, streamSeed } from '../../src/lab/config.js';
import { RunFolderError } from '../../src/lab/errors.js';
import { preferencesToJsonl } from '../../src/lab/data.js';
import { MemoryStorage } from '../../src/lab/storage.js';
import { buildWorld, readRunConfig, runExperiment } from '../../src/lab/runner.js';
import { selm } from '../cli/capture.js';

const scratch = mkdtempSync(join(tmpdir(), 'selm-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

async function train(text: string): Promise<{ code: number; stderr: string; out: string }> {
  const file = join(scratch, `c${n}.json`);
  const out = join(scratch, `run${n++}`);
  writeFileSync(file, text);
  const r = await selm('train', '--config', file, '--out', out, '--json');
  return { code: r.code, stderr: r.stderr, out };
}

describe('configs are validated whole, before anything is created', () => {
  for (const [what, text, patterns] of [
    [
      'eval.samples 1e9 (language)',
      { world: { kind: 'language' }, eval: { samples: 1e9 } },
      [/limits\.samples: about 1\.2e\+10 responses held at once, over the limit 1\.0e\+7; make eval\.samples/],
    ],
    [
      'a 4096-wide 48-layer GPT',
      { world: { kind: 'language' }, model: { width: 4096, layers: 48, heads: 32 } },
      [
        /limits\.parameters: about 6\.4e\+9 parameters .* make model\.width, model\.layers or model\.mlpRatio smaller, or raise limits\.parameters/,
        /limits\.activationBytes/,
      ],
    ],
    ['tasks 1e7', { world: { kind: 'bandit', tasks: 1e7 } }, [/limits\.parameters: about 1\.2e\+8 parameters/]],
    ['100,000 layers', { world: { kind: 'language' }, model: { layers: 100000 } }, [/limits\.parameters/]],
    ['width 65536', { world: { kind: 'language' }, model: { width: 65536 } }, [/limits\.parameters/]],
    [
      'mlpRatio 0.001',
      { world: { kind: 'language' }, model: { mlpRatio: 0.001 } },
      [/model\.mlpRatio: gives an MLP of 0 units at width 32; needs at least 1/],
    ],
    [
      'a seed whose streams collide',
      { world: { kind: 'bandit' }, seeds: [9e12] },
      [new RegExp(`seeds\\[0\\]: must be an integer in \\[0, ${MAX_SEED}\\]`)],
    ],
    [
      'a model section in a bandit config',
      { world: { kind: 'bandit' }, model: { width: 64 } },
      [/model: the bandit world ignores this section/],
    ],
    [
      'an sft section in a bandit config',
      { world: { kind: 'bandit' }, sft: { steps: 10 } },
      [/sft: the bandit world ignores this section/],
    ],
    [
      'eval.samples in a bandit config (its evaluation is exact)',
      { world: { kind: 'bandit' }, eval: { samples: 1e9 } },
      [/eval\.samples: the bandit world evaluates exactly/],
    ],
    [
      'limits that are not positive',
      { world: { kind: 'bandit' }, limits: { samples: 0 } },
      [/limits\.samples: must be a number > 0, got 0/],
    ],
  ] as const) {
    it(`${what}: exit 2, the field and the fix, nothing on disk`, async () => {
      const r = await train(JSON.stringify(text));
      expect(r.code).toBe(2);
      for (const p of patterns) expect(r.stderr).toMatch(p);
      expect(existsSync(r.out)).toBe(false);
    });
  }

  it('1e999 is reported as a non-finite number (not "got null"); constructor and __proto__ as unknown fields', async () => {
    const r = await train(
      '{"world": {"kind": "bandit"}, "algorithm": {"learningRates": [1e999, 1, 1]}, "constructor": 1, "__proto__": {"seeds": [1]}}',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('algorithm.learningRates[0]: must be a finite number, got Infinity');
    expect(r.stderr).not.toContain('null');
    expect(r.stderr).toContain('constructor: unknown field');
    expect(r.stderr).toContain('__proto__: unknown field');
    expect(existsSync(r.out)).toBe(false);
  });

  it('type errors and range errors are reported together', () => {
    expect(() => parseExperimentConfig({ world: { kind: 'bandit', tasks: 'four' }, seeds: 'x', algorithm: { beta: -1 } })).toThrow(
      /world\.tasks: must be a number, got "four"\n\s+seeds: must be a list, got "x"\n\s+algorithm\.beta: must be a number > 0, got -1/,
    );
  });

  it('raising a limit is the explicit override', () => {
    expect(() => parseExperimentConfig({ world: { kind: 'bandit', tasks: 5e6 } })).toThrow(/limits\.parameters/);
    expect(
      parseExperimentConfig({ world: { kind: 'bandit', tasks: 5e6 }, limits: { parameters: 1e8, samples: 1e10 } }).world,
    ).toMatchObject({ tasks: 5e6 });
  });

  it('the written config.json of a bandit run (with its default model and sft) parses back', () => {
    const c = defaultsFor('bandit');
    expect(parseExperimentConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('seeds up to MAX_SEED have five distinct streams; beyond, streamSeed refuses', () => {
    const streams = ([1, 2, 3, 4, 5] as const).map((s) => streamSeed(MAX_SEED, s));
    expect(new Set(streams).size).toBe(5);
    expect(() => streamSeed(MAX_SEED + 1, 5)).toThrow(RangeError);
  });

  it('a config file with a byte-order mark is accepted', async () => {
    const r = await train(
      `\uFEFF${JSON.stringify({ world: { kind: 'bandit' }, seeds: [0], alphaSweep: [], algorithm: { iterations: 1, learningRates: 3 } })}`,
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it("a run folder's config.json is read exactly as a config file: BOM accepted, bad JSON a ConfigError, no config a RunFolderError", () => {
    const text = JSON.stringify({ world: { kind: 'bandit' }, seeds: [0], alphaSweep: [], algorithm: { iterations: 1, learningRates: 3 } });
    const withBom = new MemoryStorage();
    withBom.write('config.json', new TextEncoder().encode(`\uFEFF${text}`));
    expect(readRunConfig(withBom)).toEqual(parseExperimentConfigText(text));
    const broken = new MemoryStorage();
    broken.write('config.json', new TextEncoder().encode('{"world":'));
    expect(() => readRunConfig(broken)).toThrow(ConfigError);
    expect(() => readRunConfig(broken)).toThrow(/config\.json.*not valid JSON/s);
    expect(() => readRunConfig(new MemoryStorage())).toThrow(RunFolderError);
  });

  it('the preferences file is read once per run, whatever the number of seeds', async () => {
    const c = defaultsFor('bandit');
    c.seeds = [0, 1, 2];
    c.alphaSweep = [];
    c.algorithm.iterations = 1;
    c.algorithm.learningRates = 3;
    c.preferences = 'prefs.jsonl';
    const text = preferencesToJsonl(buildWorld({ ...c, preferences: null }, 0).preferences, buildWorld({ ...c, preferences: null }, 0));
    let reads = 0;
    await runExperiment(c, { storage: new MemoryStorage(), readFile: () => (reads++, text) });
    expect(reads).toBe(1);
  });

  it('a preferences file too small for the iterations is invalid input: exit 2, nothing on disk', async () => {
    const c = defaultsFor('bandit');
    c.seeds = [0];
    c.alphaSweep = [];
    c.algorithm.iterations = 3;
    const world = buildWorld({ ...c, preferences: null }, 0);
    const prefs = join(scratch, 'two.jsonl');
    writeFileSync(prefs, preferencesToJsonl(world.preferences.slice(0, 2), world));
    const r = await train(JSON.stringify({ ...c, preferences: prefs }));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('seed 0: 2 preference triples cannot fill 3 disjoint portions');
    expect(existsSync(r.out)).toBe(false);
  });
});
