/** `selm demo --quick` end to end: every report file is written, metrics carry every logged field, and every
 * figure is well-formed SVG. */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { methodSlug, methodsOf } from '../../src/lab/config.js';
import { demoConfigs, demoStudies } from '../../src/lab/demo.js';
import { selm } from './capture.js';
import { checkXml } from './xml.js';

describe('selm demo --quick', () => {
  it('runs both worlds end to end and writes the whole report', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'selm-demo-')), 'out');
    const started = performance.now();
    const { code, stdout, stderr } = await selm('demo', '--quick', '--out', dir, '--json');
    const seconds = (performance.now() - started) / 1000;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(40); // the budget is 20 s on an idle 2-core machine; leave room for a busy CI

    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; results?: { rows: unknown[] }[] });
    expect(lines.some((l) => l.type === 'step')).toBe(true);
    expect(lines[lines.length - 1]!.type).toBe('result');
    expect(lines[lines.length - 1]!.results).toHaveLength(2);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/SELM − DPO/);

    for (const config of demoConfigs(true)) {
      const run = join(dir, config.world.kind);
      for (const f of ['config.json', 'metrics.jsonl', 'eval.json', 'summary.md', 'state.json'])
        expect(existsSync(join(run, f)), f).toBe(true);
      const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const step = metrics.find((m) => m.method === 'SELM')!;
      for (const key of [
        'loss',
        'loss/dpo',
        'loss/optimism',
        'rewards/chosen',
        'rewards/rejected',
        'rewards/accuracies',
        'rewards/margins',
        'logps/chosen',
        'logps/rejected',
        'logps/pi_response',
        'logps/ref_response',
        'learning_rate',
        'epoch',
        'grad_norm',
      ]) {
        expect(typeof step[key], key).toBe('number');
      }
      for (const seed of config.seeds) {
        expect(existsSync(join(run, 'checkpoints', `seed${seed}`, 'sft.safetensors'))).toBe(true);
        for (const m of methodsOf(config)) {
          for (let t = 1; t <= config.algorithm.iterations; t++)
            expect(existsSync(join(run, 'checkpoints', `seed${seed}`, methodSlug(m.name), `iter${t}.safetensors`))).toBe(true);
        }
      }
      const figures = readdirSync(join(run, 'figures'));
      expect(figures.length).toBeGreaterThanOrEqual(6);
      for (const f of figures) expect(checkXml(readFileSync(join(run, 'figures', f), 'utf8')), f).toBe('svg');
      const evalJson = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as {
        summary: { rows: unknown[]; differences: unknown[]; implicitDifference: { chosen: { mean: number }[] } };
      };
      expect(evalJson.summary.rows.length).toBe(1 + methodsOf(config).length * config.algorithm.iterations);
      expect(evalJson.summary.differences).toHaveLength(config.algorithm.iterations);
      // Training really moved the models: SELM's and DPO's implicit rewards differ somewhere (Figure 4).
      expect(evalJson.summary.implicitDifference.chosen.some((c) => Math.abs(c.mean) > 0)).toBe(true);
    }

    // Issue 12's study: the three-part story, one JSON per world, and its figures.
    const study = join(dir, 'study');
    expect(readFileSync(join(study, 'summary.md'), 'utf8')).toContain(`Part ${demoStudies(true).length + 1}. The controls`);
    for (const s of demoStudies(true)) {
      expect(existsSync(join(study, `${s.name}.json`)), `${s.name}.json`).toBe(true);
      for (const kind of ['heatmap', 'budget', 'frontier', 'seed-histogram', 'figure4', 'policy']) {
        const f = join(study, 'figures', `${s.name}-${kind}.svg`);
        expect(existsSync(f), f).toBe(true);
        expect(checkXml(readFileSync(f, 'utf8')), f).toBe('svg');
      }
    }
  });

  it('is the default command (npm start runs it) and explains itself with --help', async () => {
    const help = await selm('--help');
    expect(help.stdout).toMatch(/With no command, runs 'demo'/);
    const demoHelp = await selm('demo', '--help');
    expect(demoHelp.code).toBe(0);
    expect(demoHelp.stdout).toMatch(/^usage: selm demo/);
    expect(demoHelp.stdout).toMatch(/--language-study/);
    const both = await selm('demo', '--language-study', '--resume', 'nowhere');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--language-study cannot be combined with --resume/);
  });

  it('--backend wasm runs the language study on the wasm kernels and records it; elsewhere it is a usage error', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'selm-demo-')), 'out');
    const r = await selm('demo', '--language-study', '--quick', '--backend', 'wasm', '--out', dir);
    expect(r.code).toBe(0);
    // The study cannot be resumed (--resume refuses it), so its start line offers no --resume.
    expect(r.stderr).toMatch(/Ctrl-C stops; a stopped study starts again from the beginning/);
    expect(r.stderr).not.toMatch(/--resume/);
    const study = JSON.parse(readFileSync(join(dir, 'study', 'language.json'), 'utf8')) as {
      config: { gpt: { model: { backend: string } } };
    };
    expect(study.config.gpt.model.backend).toBe('wasm');
    expect(readFileSync(join(dir, 'study', 'summary.md'), 'utf8')).toMatch(/a tiny GPT on the wasm backend/);
    const noStudy = await selm('demo', '--quick', '--backend', 'wasm');
    expect(noStudy.code).toBe(2);
    expect(noStudy.stderr).toMatch(/--backend applies to --language-study only/);
    const bad = await selm('demo', '--language-study', '--backend', 'gpujs');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--backend takes 'cpu' or 'wasm', got 'gpujs'/);
  }, 120_000);
});
