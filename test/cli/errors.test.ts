/**
 * Bad input gets a clear error and nothing half-written: unknown options, out-of-range values (β ≤ 0, α < 0,
 * T < 1), a malformed config (the field and why), a bad JSONL line (file:line and why), and a non-finite loss
 * (which step, which term; the last good checkpoint is kept). And --help on every command.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selm } from './capture.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'selm-errors-'));

/** A fast bandit config with the given algorithm overrides. */
function banditConfig(algorithm: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ world: { kind: 'bandit' }, seeds: [0], alphaSweep: [], algorithm, ...extra });
}

async function trainWith(configText: string): Promise<{ code: number; stderr: string; out: string }> {
  const dir = scratch();
  const file = join(dir, 'config.json');
  writeFileSync(file, configText);
  const out = join(dir, 'run');
  const r = await selm('train', '--config', file, '--out', out, '--json');
  return { code: r.code, stderr: r.stderr, out };
}

describe('bad input', () => {
  it('unknown options and stray arguments are usage errors (exit 2) naming the option', async () => {
    const r = await selm('demo', '--quikc');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--quikc'/);
    const s = await selm('train', '--config');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--config/);
    const t = await selm('frobnicate');
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  for (const [what, algorithm, pattern] of [
    ['β ≤ 0', { beta: 0 }, /algorithm\.beta: must be a number > 0, got 0/],
    ['α < 0', { alpha: -0.1 }, /algorithm\.alpha: must be a number >= 0, got -0\.1/],
    ['T < 1', { iterations: 0 }, /algorithm\.iterations: must be an integer >= 1, got 0/],
    ['a bad y_ref mode', { yRef: 'beam' }, /algorithm\.yRef: must be 'greedy' or 'sample', got "beam"/],
    ['too few learning rates', { learningRates: [0.1, 0.1] }, /algorithm\.learningRates: has 2 peaks, needs one per iteration \(3\)/],
  ] as const) {
    it(`rejects ${what} with the field and why, writing nothing`, async () => {
      const { code, stderr, out } = await trainWith(banditConfig(algorithm));
      expect(code).toBe(2);
      expect(stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('reports every problem of a malformed config: unknown fields, wrong types, bad JSON', async () => {
    const a = await trainWith(JSON.stringify({ world: { kind: 'bandit', tasks: 'four' }, algorithm: { betta: 1 }, seeds: [] }));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/world\.tasks: must be a number, got "four"/);
    expect(a.stderr).toMatch(/algorithm\.betta: unknown field/);
    const b = await trainWith('{"world": {"kind": "bandit"},');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/config\.json is invalid:\n\s+not valid JSON/);
    const c = await trainWith(JSON.stringify({ world: { kind: 'maze' } }));
    expect(c.stderr).toMatch(/world\.kind: must be 'bandit', 'language' or 'text', got "maze"/);
    const d = await trainWith(banditConfig({}, { seeds: [1, 1], ranker: { kind: 'bradley-terry', temperature: -1 } }));
    expect(d.stderr).toMatch(/seeds: must be distinct/);
    expect(d.stderr).toMatch(/ranker\.temperature: must be a number > 0, got -1/);
    for (const r of [a, b, c, d]) expect(existsSync(r.out)).toBe(false);
  });

  it("names the file and line of a bad JSONL record, on import and as a run's preference set", async () => {
    const dir = scratch();
    const file = join(dir, 'prefs.jsonl');
    writeFileSync(
      file,
      '{"prompt": "task 0 #1", "chosen": "r3", "rejected": "r4"}\n{"prompt": "task 0 #1", "chosen": "r99", "rejected": "r4"}\n',
    );
    const imported = await selm('data', 'import', file, '--world', 'bandit');
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain(`${file}:2: response r99 is out of range`);
    writeFileSync(file, '{"prompt": "task 0 #1", "chosen": "r3", "rejected": "r4"}\nnot json\n');
    const run = await trainWith(banditConfig({}, { preferences: file }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:2: not valid JSON`);
    expect(existsSync(run.out)).toBe(false);
  });

  it('stops on a non-finite loss, saying which step and which term, and keeps the last good checkpoint', async () => {
    // Adam steps each logit by about lr: at lr 1e308 two steps overflow float64 to ±∞, and log-softmax gives NaN.
    const { code, stderr, out } = await trainWith(banditConfig({ optimizer: 'adamw', learningRates: 1e308, gradClip: 1 }));
    expect(code).toBe(1);
    expect(stderr).toMatch(/seed 0, DPO: non-finite (loss\/dpo|loss|grad_norm) \(\w+\) at iteration \d, step \d+/);
    const last = /\(([^()]+\.safetensors)\)/.exec(stderr)![1]!;
    expect(existsSync(last)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).units).toBeTypeOf('object');
  });
});

describe('data export and import', () => {
  it('exports D as JSONL with prompt, chosen and rejected, and imports it back', async () => {
    const dir = scratch();
    const file = join(dir, 'd.jsonl');
    const exported = await selm('data', 'export', '--world', 'language', '--out', file);
    expect(exported.code).toBe(0);
    const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['chosen', 'prompt', 'rejected']);
    const imported = await selm('data', 'import', file, '--world', 'language');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/valid preference triples for the language world/);
  });
});

describe('--help', () => {
  for (const command of ['demo', 'train', 'eval', 'gradcheck', 'data', 'tour']) {
    it(`selm ${command} --help prints its usage`, async () => {
      const r = await selm(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`usage: selm ${command}`));
    });
  }

  for (const kind of ['bandit', 'language', 'text'] as const) {
    it(`selm train --print-config ${kind} prints a starting config that reads back as the defaults, with no field the world ignores`, async () => {
      const printed = await selm('train', '--print-config', kind);
      expect(printed.code).toBe(0);
      const config = JSON.parse(printed.stdout) as Record<string, unknown>;
      expect(Object.keys(config)).toEqual(expect.arrayContaining(['world', 'algorithm', 'seeds', 'ranker', 'alphaSweep', 'eval']));
      const { defaultsFor, parseExperimentConfig } = await import('../../src/lab/config.js');
      expect(parseExperimentConfig(config)).toEqual(defaultsFor(kind));
      // A bandit has no GPT, no SFT and exact evaluation: fields for those would be rejected once edited.
      const ignored = kind === 'bandit';
      expect('model' in config).toBe(!ignored);
      expect('sft' in config).toBe(!ignored);
      expect('samples' in (config.eval as object)).toBe(!ignored);
    });
  }

  it('selm eval refuses an unfinished run and says how to finish it', async () => {
    const r = await selm('eval', scratch());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config\.json is missing/);
  });
});
