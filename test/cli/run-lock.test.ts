/**
 * One process per run folder: of two `selm train` started at once on one folder, exactly one runs and the other
 * exits 2 naming the lock's owner, and metrics.jsonl holds no line twice; the same for two `--resume`. A lock
 * left by a killed process is reported as stale with how to clear it; `eval` is refused while a run holds the
 * folder; a start that fails removes what it created.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultsFor } from '../../src/lab/config.js';
import { FolderStorage } from '../../src/lab/node/folder-storage.js';
import { LOCK_FILE, lockRunFolder } from '../../src/lab/node/run-lock.js';
import { RunInterrupted, runExperiment } from '../../src/lab/runner.js';
import { selm } from './capture.js';

const ROOT = resolve(import.meta.dirname, '../..');
// The bundle must sit inside the repository so that Node finds gpu.js in its node_modules (/tmp-* is ignored).
let bundleDir = '';
let cli = '';
const scratch = mkdtempSync(join(tmpdir(), 'selm-lock-'));

beforeAll(async () => {
  bundleDir = mkdtempSync(join(ROOT, 'tmp-lock-'));
  cli = join(bundleDir, 'cli.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['gpu.js'],
    outfile: cli,
    logLevel: 'warning',
  });
}, 60_000);

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  stderr: string;
}

function run(...args: string[]): Promise<Exit> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

const CONFIG = { world: { kind: 'bandit' }, seeds: [0], alphaSweep: [] };

function metricsLines(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** Both outcomes of a race: one ran (0), the other was refused (2) naming the lock's owner. */
function expectOneWinner(a: Exit, b: Exit): void {
  const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
  expect(winner.code, winner.stderr).toBe(0);
  expect(loser.code, loser.stderr).toBe(2);
  expect(loser.stderr).toMatch(new RegExp(`is in use by process \\d+ on host ${hostname()} \\(since `));
}

describe('run lock', () => {
  it('of two `selm train --out X` started at once (20 times), exactly one runs; no metrics line twice', async () => {
    const config = join(scratch, 'bandit.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    let expectedLines = -1;
    for (let trial = 0; trial < 20; trial++) {
      const out = join(scratch, `race${trial}`);
      const [a, b] = await Promise.all([
        run('train', '--config', config, '--out', out, '--json'),
        run('train', '--config', config, '--out', out, '--json'),
      ]);
      expectOneWinner(a, b);
      const lines = metricsLines(out);
      expect(new Set(lines).size).toBe(lines.length);
      if (expectedLines < 0) expectedLines = lines.length;
      expect(lines.length).toBe(expectedLines);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    }
    // 40 process starts: the limit guards against a hang, not speed (a shared 2-core machine took over 120 s).
  }, 600_000);

  it('of two `selm train --resume X` started at once, exactly one runs; no metrics line twice', async () => {
    const config = defaultsFor('bandit');
    config.seeds = [0];
    config.alphaSweep = [];
    for (let trial = 0; trial < 3; trial++) {
      const dir = join(scratch, `resume${trial}`);
      await expect(runExperiment(config, { storage: new FolderStorage(dir), stopAfterIterations: 1 })).rejects.toBeInstanceOf(
        RunInterrupted,
      );
      const [a, b] = await Promise.all([run('train', '--resume', dir, '--json'), run('train', '--resume', dir, '--json')]);
      expectOneWinner(a, b);
      const lines = metricsLines(dir);
      expect(new Set(lines).size).toBe(lines.length);
    }
  }, 60_000);

  it('a lock whose process is gone is reported as stale, with the command that clears it', async () => {
    const dead = await new Promise<number>((done) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('close', () => done(child.pid!));
    });
    const dir = join(scratch, 'stale');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), since: 'earlier', command: 'selm train' }));
    const r = await selm('train', '--resume', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`stale lock: process ${dead} on host ${hostname()}`);
    expect(r.stderr).toContain(`rm ${join(dir, LOCK_FILE)}`);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });

  it('eval, --resume and a second --out are refused while a run holds the folder', async () => {
    const dir = join(scratch, 'held');
    const lock = lockRunFolder(dir, { create: true });
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
      const config = join(scratch, 'held.json');
      writeFileSync(config, JSON.stringify(CONFIG));
      for (const args of [
        ['eval', dir],
        ['train', '--resume', dir],
        ['train', '--config', config, '--out', dir],
      ]) {
        const r = await selm(...args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain(`is in use by process ${process.pid} on host ${hostname()}`);
      }
    } finally {
      lock.release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a start that fails removes what it created, and only that', () => {
    const fresh = join(scratch, 'fresh');
    const a = lockRunFolder(fresh, { create: true });
    writeFileSync(join(fresh, 'config.json'), '{}');
    a.removeCreated();
    a.release();
    expect(existsSync(fresh)).toBe(false);
    const kept = join(scratch, 'kept');
    mkdirSync(kept);
    writeFileSync(join(kept, 'notes.txt'), 'mine');
    const b = lockRunFolder(kept, { create: true });
    writeFileSync(join(kept, 'config.json'), '{}');
    b.removeCreated();
    b.release();
    expect(readdirSync(kept)).toEqual(['notes.txt']);
  });
});
