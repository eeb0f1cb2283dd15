/**
 * No silent divergence: a run that finishes with exploding weights or gradients, or with a collapsed policy,
 * says so in its summary and exits 1 naming where it began; a diverging SFT stage says "during SFT" and which
 * checkpoints exist. A sane run gets no warning.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultsFor, methodsOf } from '../../src/lab/config.js';
import { divergenceWarnings, warningsMarkdown } from '../../src/lab/divergence.js';
import type { ModelEval } from '../../src/lab/evaluate.js';
import { MemoryStorage } from '../../src/lab/storage.js';
import { selm } from '../cli/capture.js';

const scratch = mkdtempSync(join(tmpdir(), 'selm-diverge-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

async function train(config: unknown): Promise<{ code: number; stderr: string; out: string }> {
  const file = join(scratch, `c${n}.json`);
  const out = join(scratch, `run${n++}`);
  writeFileSync(file, JSON.stringify(config));
  const r = await selm('train', '--config', file, '--out', out, '--json');
  return { code: r.code, stderr: r.stderr, out };
}

describe('divergence is reported', () => {
  it('a bandit run at lr 1e6 finishes with exit 1, and its summary and stderr name the exploding weights and where they began', async () => {
    const r = await train({ world: { kind: 'bandit' }, seeds: [0], alphaSweep: [], algorithm: { learningRates: 1e6 } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /seed 0, DPO: exploding weights: max \|weight\| [\d.]+e\+\d+ at iteration 1 \(over 1000\), from iteration 1, step \d+/,
    );
    const summary = readFileSync(join(r.out, 'summary.md'), 'utf8');
    expect(summary).toContain('## Warnings: this run diverged');
    expect(summary).toMatch(/seed 0, SELM: exploding weights/);
  });

  it('selm train whose policy collapses exits 1 naming where it began (the demo, whose α sweep goes there on purpose, warns)', async () => {
    const r = await train({ world: { kind: 'bandit' }, seeds: [6], alphaSweep: [10] });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the run ended with a collapsed policy .*\n.*seed 6, SELM α=10: collapsed policy: .* from iteration \d+/);
    expect(readFileSync(join(r.out, 'summary.md'), 'utf8')).toContain('## Warnings: this run diverged');
  });

  it('the same run at the default lr gets no warning (exit 0)', async () => {
    const r = await train({ world: { kind: 'bandit' }, seeds: [0], alphaSweep: [] });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(r.out, 'summary.md'), 'utf8')).not.toContain('Warnings');
  });

  it('an SFT divergence says "during SFT" and that no checkpoint exists yet (not "iteration -1")', async () => {
    const r = await train({ world: { kind: 'language' }, seeds: [0], alphaSweep: [], sft: { steps: 6, lr: 1e300, warmupRatio: 0 } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /seed 0: non-finite loss\/sft \(\w+\) during SFT, at step \d+; training stopped; seed 0 has no checkpoint \(SFT is its first stage\); no checkpoint exists yet/,
    );
    expect(r.stderr).not.toContain('-1');
  });

  it("weights that explode during SFT are reported once as SFT's, with the SFT step, not as each method's from iteration 1", async () => {
    const r = await train({
      world: { kind: 'language' },
      seeds: [0],
      alphaSweep: [],
      sft: { steps: 30, lr: 1e6 },
      algorithm: { iterations: 1, epochs: 1 },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /seed 0: exploding weights during SFT: max \|weight\| [\d.]+e\+\d+ in checkpoints\/seed0\/sft\.safetensors .*from SFT step \d+/,
    );
    expect(r.stderr).not.toMatch(/seed 0, (DPO|SELM): exploding weights/);
  }, 120_000);

  it('a collapsed policy worse than SFT is flagged from the iteration it began', () => {
    const config = defaultsFor('bandit');
    config.seeds = [0];
    config.alphaSweep = [];
    const spread: ModelEval = {
      greedy: [0.5],
      sampled: [{ values: [0.2, 0.8], weights: [0.5, 0.5] }],
      meanGreedy: 0.5,
      meanSampled: 0.5,
      examples: [],
    };
    const single: ModelEval = {
      greedy: [0.1],
      sampled: [{ values: [0.1, 0.9], weights: [0.995, 0.005] }],
      meanGreedy: 0.1,
      meanSampled: 0.104,
      examples: [],
    };
    const evals: Record<string, ModelEval> = {
      '0/SFT/0': spread,
      '0/DPO/1': spread,
      '0/DPO/2': single,
      '0/DPO/3': single,
      '0/SELM/1': spread,
      '0/SELM/2': spread,
      '0/SELM/3': spread,
    };
    const warnings = divergenceWarnings(new MemoryStorage(), { config, methods: methodsOf(config), evals, bestReward: 1 });
    expect(warnings.map((w) => [w.method, w.kind, w.iteration])).toEqual([['DPO', 'collapse', 2]]);
    // Where a sweep makes collapse a finding (the demo), the heading does not call the run diverged.
    expect(warningsMarkdown(warnings, false)).toContain('## Warnings: a policy collapsed (a finding, not a failure)');
    expect(warningsMarkdown(warnings)).toContain('## Warnings: this run diverged');
    expect(warningsMarkdown([...warnings, { ...warnings[0]!, kind: 'weights' }], false)).toContain('## Warnings: this run diverged');
    // Concentrated on a good response (better than SFT) is convergence, not collapse.
    const good: ModelEval = { ...single, sampled: [{ values: [0.9, 0.1], weights: [0.995, 0.005] }], meanSampled: 0.896 };
    expect(
      divergenceWarnings(new MemoryStorage(), { config, methods: methodsOf(config), evals: { ...evals, '0/DPO/3': good }, bestReward: 1 }),
    ).toEqual([]);
  });
});
