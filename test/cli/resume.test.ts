/**
 * Runs survive interruption: a run stopped after any finished iteration (and with stray metrics written after
 * it, as a crash mid-iteration leaves) and then resumed ends bit-identical to an uninterrupted run.
 */
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultsFor, type ExperimentConfig } from '../../src/lab/config.js';
import { RunInterrupted, runExperiment } from '../../src/lab/runner.js';
import { writeReport } from '../../src/lab/report.js';
import { FolderStorage } from '../../src/lab/node/folder-storage.js';
import { selm } from './capture.js';

function tinyLanguage(): ExperimentConfig {
  const c = defaultsFor('language');
  c.name = 'tiny';
  c.seeds = [3];
  c.sft.steps = 4;
  c.algorithm.iterations = 2;
  c.algorithm.epochs = 1;
  c.eval.samples = 2;
  // The noisy ranker has its own random stream: its state must survive the interruption too.
  c.ranker = { kind: 'bradley-terry', temperature: 0.5 };
  if (c.world.kind === 'language') c.world = { ...c.world, pairsPerPrompt: 2 };
  return c;
}

function tinyBandit(): ExperimentConfig {
  const c = defaultsFor('bandit');
  c.name = 'tiny-bandit';
  c.seeds = [0, 1];
  c.alphaSweep = [];
  return c;
}

/** Every file of a run folder, by relative path, as bytes (state.json aside: it is bookkeeping). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

async function runWithInterruptions(config: ExperimentConfig, dir: string, stops: number[]): Promise<void> {
  let resume = false;
  for (const stop of stops) {
    await expect(runExperiment(config, { storage: new FolderStorage(dir), resume, stopAfterIterations: stop })).rejects.toBeInstanceOf(
      RunInterrupted,
    );
    // A crash in the middle of the next iteration leaves metrics lines the state does not cover.
    appendFileSync(join(dir, 'metrics.jsonl'), '{"partial": true}\n{"trunc');
    resume = true;
  }
  await writeReport(new FolderStorage(dir), await runExperiment(config, { storage: new FolderStorage(dir), resume }));
}

describe('resume', () => {
  for (const make of [tinyLanguage, tinyBandit]) {
    it(`a resumed ${make().world.kind} run is bit-identical to an uninterrupted one`, async () => {
      const config = make();
      const base = mkdtempSync(join(tmpdir(), 'selm-resume-'));
      const whole = join(base, 'whole');
      await writeReport(new FolderStorage(whole), await runExperiment(config, { storage: new FolderStorage(whole) }));
      const pieces = join(base, 'pieces');
      await runWithInterruptions(config, pieces, [1, 2]);
      const a = snapshot(whole);
      const b = snapshot(pieces);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      const differing = [...a].filter(([name, bytes]) => !b.get(name)!.equals(bytes)).map(([name]) => name);
      expect(differing).toEqual([]);
      expect([...a.keys()].filter((k) => k.endsWith('.safetensors')).length).toBeGreaterThan(2);
    });
  }

  it('selm eval re-evaluates a finished run from its checkpoints alone and reproduces eval.json', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'selm-eval-')), 'run');
    await writeReport(new FolderStorage(dir), await runExperiment(tinyBandit(), { storage: new FolderStorage(dir) }));
    const before = readFileSync(join(dir, 'eval.json'));
    const r = await selm('eval', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SELM − DPO/);
    expect(readFileSync(join(dir, 'eval.json')).equals(before)).toBe(true);
  });

  it('selm train --resume finishes an interrupted run and refuses a folder that holds no run', async () => {
    const config = tinyLanguage();
    const dir = join(mkdtempSync(join(tmpdir(), 'selm-resume-cli-')), 'run');
    await expect(runExperiment(config, { storage: new FolderStorage(dir), stopAfterIterations: 1 })).rejects.toBeInstanceOf(RunInterrupted);
    const resumed = await selm('train', '--resume', dir, '--json');
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/SELM − DPO/);
    const missing = await selm('train', '--resume', join(dir, 'nothing-here'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/config\.json is missing/);
  });
});
