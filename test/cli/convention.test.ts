/**
 * One CLI convention (src/cli/output.ts): every command rejects an unknown flag or a stray argument with exit
 * code 2; `--version` prints package.json's version; a bad config is exit 2 however it reaches a command; without
 * --json stdout is the text table alone (progress on stderr, plain when stderr is not a terminal, as in
 * `selm train ... | cat`); with --json stdout is JSON lines alone, every one {type, command, ...}.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLine, wantsJson } from '../../src/cli/output.js';
import { plainReporter } from '../../src/cli/progress.js';
import { selm } from './capture.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'selm-convention-'));

/** A bandit config that trains in about a second. */
function tinyConfig(): string {
  const file = join(scratch(), 'config.json');
  writeFileSync(file, JSON.stringify({ name: 'tiny', world: { kind: 'bandit' }, seeds: [0], alphaSweep: [] }));
  return file;
}

/** Every line of stdout as a JSON object; fails the test on a line that is not one. */
function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const value: unknown = JSON.parse(line);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value), line).toBe(true);
      return value as Record<string, unknown>;
    });
}

/** Each command (with what it needs before its options) and the `command` its JSON records carry. */
const COMMANDS: [string[], string][] = [
  [['demo'], 'demo'],
  [['train'], 'train'],
  [['eval'], 'eval'],
  [['judges'], 'judges'],
  [['gradcheck'], 'gradcheck'],
  [['tour'], 'tour'],
  [['data', 'export'], 'data export'],
  [['data', 'import'], 'data import'],
];

describe('usage errors exit 2 on every command', () => {
  for (const [argv, command] of COMMANDS) {
    it(`selm ${argv.join(' ')} --bogus is exit 2, naming the flag; with --json an error record is stdout's last line`, async () => {
      const r = await selm(...argv, '--bogus');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/'--bogus'/);
      expect(r.stdout).toBe('');
      const j = await selm(...argv, '--json', '--bogus');
      expect(j.code).toBe(2);
      const last = records(j.stdout).at(-1)!;
      expect(last).toMatchObject({ type: 'error', command, exitCode: 2 });
      expect(last.message).toMatch(/'--bogus'/);
    });
  }

  it("a stray argument is an error, as is an unknown command or a flag before data's action", async () => {
    for (const argv of [
      ['tour', 'extra'],
      ['gradcheck', 'extra'],
      ['train', 'extra'],
      ['demo', 'extra'],
      ['eval', 'a', 'b'],
      ['judges', 'extra'],
      ['data', '--bogus'],
      ['data'],
      ['bogus'],
    ]) {
      const r = await selm(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout, argv.join(' ')).toBe('');
    }
    // With no command, flags go to the default command (demo), which rejects what it does not know.
    expect((await selm('--bogus')).code).toBe(2);
  });
});

describe('--version', () => {
  it("prints package.json's version and nothing else", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await selm('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect((await selm('--version', 'extra')).code).toBe(2);
    expect((await selm('--help')).stdout).toMatch(/selm --version/);
  });
});

describe('a bad config is exit 2 however it arrives', () => {
  for (const [what, text] of [
    ['invalid JSON', '{"world": '],
    ['an invalid field', JSON.stringify({ world: { kind: 'bandit' }, algorithm: { beta: 0 } })],
  ] as const) {
    it(`${what}: with --config, as a run's config.json with --resume, and to eval`, async () => {
      const dir = scratch();
      writeFileSync(join(dir, 'config.json'), text);
      const viaConfig = await selm('train', '--config', join(dir, 'config.json'), '--out', join(dir, 'out'));
      const viaResume = await selm('train', '--resume', dir);
      const viaEval = await selm('eval', dir);
      for (const r of [viaConfig, viaResume, viaEval]) {
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(join(dir, 'config.json'));
      }
    });
  }

  it('a folder that holds no run is exit 2 for train --resume and eval', async () => {
    const dir = join(scratch(), 'empty');
    mkdirSync(dir);
    for (const r of [await selm('train', '--resume', dir), await selm('eval', dir)]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not a run folder \(config\.json is missing\)/);
    }
  });
});

describe('streams', () => {
  it('selm train ... | cat: stdout is the text table alone, progress goes to stderr as plain lines', async () => {
    const out = join(scratch(), 'run');
    const r = await selm('train', '--config', tinyConfig(), '--out', out);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(r.stdout).toMatch(/SELM − DPO/);
    expect(lines.at(-1)).toBe(`report: ${join(out, 'summary.md')}`);
    // stderr is not a terminal here: no bar (no carriage returns), no JSON, and at most a line per tenth.
    expect(r.stderr).not.toMatch(/\r|\{"type"/);
    const progress = r.stderr.split('\n').filter((l) => /^selm train: tiny \d+% \(step \d+\/\d+/.test(l));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(10);
  });

  it('with --json, stdout is {type, command, ...} records only, ending in one result; stderr is empty', async () => {
    const out = join(scratch(), 'run');
    const r = await selm('train', '--config', tinyConfig(), '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const recs = records(r.stdout);
    for (const rec of recs) {
      expect(Object.keys(rec).slice(0, 2)).toEqual(['type', 'command']);
      expect(rec.command).toBe('train');
    }
    expect(recs.map((x) => x.type)).toEqual(expect.arrayContaining(['start', 'step', 'iteration', 'done']));
    expect(recs.filter((x) => x.type === 'result')).toHaveLength(1);
    expect(recs.at(-1)).toMatchObject({ type: 'result', command: 'train', ok: true, dir: out });
    expect((recs.at(-1)!.results as unknown[]).length).toBe(1);
  });

  it('gradcheck, tour, train --print-config and data give the same result record under --json', async () => {
    const tour = await selm('tour', '--json');
    expect(tour.code).toBe(0);
    const [t] = records(tour.stdout);
    expect(t).toMatchObject({ type: 'result', command: 'tour', ok: true });
    expect((t!.results as { op: string }[]).map((x) => x.op)).toContain('softmax');

    const printed = records((await selm('train', '--print-config', 'language', '--json')).stdout);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ type: 'result', command: 'train', ok: true, config: { world: { kind: 'language' } } });

    const file = join(scratch(), 'd.jsonl');
    expect((await selm('data', 'export', '--world', 'bandit', '--json')).code).toBe(2); // stdout would be the data
    const exported = records((await selm('data', 'export', '--world', 'bandit', '--out', file, '--json')).stdout);
    expect(exported).toEqual([expect.objectContaining({ type: 'result', command: 'data export', ok: true, out: file })]);
    const count = exported[0]!.count as number;
    expect(count).toBeGreaterThan(0);
    const imported = records((await selm('data', 'import', file, '--world', 'bandit', '--json')).stdout);
    expect(imported).toEqual([expect.objectContaining({ type: 'result', command: 'data import', ok: true, count, file })]);
  });
});

describe('output helpers', () => {
  it('jsonLine puts type and command first; wantsJson stops at --', () => {
    expect(jsonLine('train', { loss: 1, type: 'step' })).toBe('{"type":"step","command":"train","loss":1}\n');
    expect(wantsJson(['--out', 'x', '--json'])).toBe(true);
    expect(wantsJson(['--', '--json'])).toBe(false);
  });

  it('plainReporter writes one line per tenth of the run, none for repeated tenths or other events', () => {
    const lines: string[] = [];
    const reporter = plainReporter('train', (l) => lines.push(l));
    reporter.onEvent({ type: 'start', experiment: 'x', totalSteps: 200, doneSteps: 50 });
    for (let done = 51; done <= 200; done++) {
      reporter.onEvent({
        type: 'step',
        experiment: 'x',
        seed: 0,
        method: 'SELM',
        iteration: 1,
        step: done,
        doneSteps: done,
        totalSteps: 200,
        loss: 0.5,
      });
    }
    reporter.onEvent({ type: 'iteration', experiment: 'x', seed: 0, method: 'SELM', iteration: 1, meanGreedy: 1, meanSampled: 1 });
    expect(lines.map((l) => l.match(/(\d+)%/)![1])).toEqual(['30', '40', '50', '60', '70', '80', '90', '100']);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});
