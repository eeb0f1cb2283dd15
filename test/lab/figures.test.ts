/**
 * The report's figures (src/lab/figures.ts) on a small bandit run: histograms whose bins fit the data and
 * show more than one bar, intervals clipped to the range a fraction can take, legend swatches at full
 * opacity, and a caption under every figure saying what the paper shows and what this run shows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BANDIT_EXPERIMENT, type ExperimentConfig } from '../../src/lab/config.js';
import { band, captioned, figureSpecs, renderSvg, wrap } from '../../src/lab/figures.js';
import { runExperiment } from '../../src/lab/runner.js';
import { MemoryStorage } from '../../src/lab/storage.js';
import { fittedEdges, summarize, type Summary } from '../../src/lab/summary.js';

const config: ExperimentConfig = {
  ...DEFAULT_BANDIT_EXPERIMENT,
  name: 'figures-test',
  seeds: [0, 1, 2],
  alphaSweep: [3],
  algorithm: { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, iterations: 2 },
};
let summary: Summary;

beforeAll(async () => {
  summary = summarize(await runExperiment(config, { storage: new MemoryStorage() }));
});

interface Row {
  decoding: string;
  series: string;
  mean: number | null;
  low: number | null;
  high: number | null;
}

describe('report figures', () => {
  it('bins fit the data: edges span the r* values seen, a lone value gets a range around it', () => {
    expect(fittedEdges([0.7, 1, 1.3], 4)).toEqual([0.7, 0.85, 1, 1.15, 1.3].map((v) => expect.closeTo(v, 12)));
    const lone = fittedEdges([1, 1, 1], 2);
    expect(lone[0]!).toBeLessThan(1);
    expect(lone[2]!).toBeGreaterThan(1);
    expect(summary.histogramEdges[0]!).toBeGreaterThanOrEqual(0);
    expect(summary.histogramEdges.at(-1)!).toBeLessThanOrEqual(summary.bestReward + 1e-9);
  });

  it('Figure 3’s histograms have more than one bar, fractions and intervals within [0, 1]', () => {
    const specs = figureSpecs(summary);
    for (const name of ['fig3-histogram-by-alpha.svg', 'fig3-histogram-by-iteration.svg']) {
      const rows = (specs[name] as unknown as { data: { values: Row[] } }).data.values;
      const sampled = rows.filter((r) => r.decoding.startsWith('sampled') && (r.mean ?? 0) > 0);
      expect(new Set(sampled.map((r) => `${r.series}|${r.mean}`)).size, name).toBeGreaterThan(1);
      for (const r of rows) {
        for (const v of [r.mean, r.low, r.high]) if (v !== null) expect(v).toBeGreaterThanOrEqual(0);
        for (const v of [r.mean, r.low, r.high]) if (v !== null) expect(v).toBeLessThanOrEqual(1);
      }
      // Each series' sampled fractions sum to 1 (the whole mass of π over Y).
      const bySeries = new Map<string, number>();
      for (const r of rows.filter((x) => x.decoding.startsWith('sampled')))
        bySeries.set(r.series, (bySeries.get(r.series) ?? 0) + (r.mean ?? 0));
      for (const total of bySeries.values()) expect(total).toBeCloseTo(1, 9);
    }
    expect(band({ mean: 0.02, low: -0.1, high: 0.14, halfWidth: 0.12, n: 3 }, 0, 1)).toEqual({ mean: 0.02, low: 0, high: 0.14 });
    expect(band({ mean: 0.95, low: 0.8, high: 1.1, halfWidth: 0.15, n: 3 }, 0, 1).high).toBe(1);
  });

  it('every figure has a caption under it with the paper’s and this run’s findings', () => {
    for (const [name, spec] of Object.entries(figureSpecs(summary))) {
      const title = spec.title as { text: string; subtitle: string[]; orient: string };
      expect(title.orient, name).toBe('bottom');
      const caption = title.subtitle.join(' ');
      expect(caption, name).toMatch(/^The paper: /);
      expect(caption, name).toContain('This run: ');
      for (const line of title.subtitle) expect(line.length).toBeLessThanOrEqual(110);
    }
    const fig4 = (figureSpecs(summary)['fig4-implicit-reward-difference.svg']!.title as { subtitle: string[] }).subtitle.join(' ');
    expect(fig4).toContain('π_ref at iteration 1'); // which population was evaluated
    expect(fig4).toContain('−β(KL(π_ref‖π_SELM) − KL(π_ref‖π_DPO))'); // the identity's prediction
  });

  it('legend swatches are drawn at full opacity, even beside a translucent band', async () => {
    const svg = await renderSvg(figureSpecs(summary)['reward-by-iteration.svg']!);
    const swatches = [...svg.matchAll(/role-legend-symbol"[^>]*><path [^>]*opacity="([\d.]+)"/g)].map((m) => m[1]);
    expect(swatches.length).toBeGreaterThan(1);
    expect(swatches.every((o) => o === '1')).toBe(true);
    expect(svg).toContain('This run: ');
  });

  it('wrap breaks at spaces within the width; captioned keeps the spec', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    const spec = captioned({ mark: 'point', data: { values: [] } }, 'H', 'p', 'r');
    expect(spec).toMatchObject({ mark: 'point', title: { text: 'H', subtitle: ['The paper: p', 'This run: r'] } });
  });
});
