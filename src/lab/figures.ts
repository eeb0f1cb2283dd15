/**
 * The report's figures as Vega-Lite specs, rendered to SVG in Node (vega's headless renderer needs no canvas
 * or native code); the same specs render in a browser. Every figure shows a mean over seeds with its 95%
 * interval. Figure numbers follow the paper: 2 (pairwise win rates), 3 (α study and reward histograms),
 * 4 (implicit-reward differences).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Interval } from './stats.js';
import type { HistogramSeries, Summary } from './summary.js';

/** Renders a Vega-Lite spec to an SVG string, the same bytes for the same spec (see `stableIds`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return stableIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers gradients, clip paths and patterns from process-wide counters, so the same figure rendered
 * second in a process would differ from itself rendered first. Renumbering them in order of appearance
 * makes a report depend only on its data (a resumed run's figures equal an uninterrupted run's).
 */
export function stableIds(svg: string): string {
  const seen = new Map<string, string>();
  const counts = new Map<string, number>();
  return svg.replace(/\b(gradient_|clip|pattern_)(\d+)\b/g, (match, prefix: string) => {
    let id = seen.get(match);
    if (id === undefined) {
      const n = counts.get(prefix) ?? 0;
      counts.set(prefix, n + 1);
      id = `${prefix}${n}`;
      seen.set(match, id);
    }
    return id;
  });
}

/** JSON has no NaN: an undefined interval end becomes null, which Vega-Lite leaves out. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function band(i: Interval): { mean: number | null; low: number | null; high: number | null } {
  return { mean: finite(i.mean), low: finite(i.low), high: finite(i.high) };
}

const WIDTH = 300;
const HEIGHT = 200;

function titleOf(summary: Summary, what: string): string {
  return `${summary.experiment}: ${what} (mean, 95% CI over ${summary.seeds.length} seeds)`;
}

/** Mean r* on held-out prompts by iteration for each method, sampled and greedy. */
export function rewardByIterationSpec(summary: Summary): TopLevelSpec {
  const values = summary.rows.flatMap((r) => {
    const methods = r.method === 'SFT' ? [...new Set(summary.rows.filter((x) => x.method !== 'SFT').map((x) => x.method))] : [r.method];
    return methods.flatMap((m) => [
      { method: m, iteration: r.iteration, decoding: 'sampled', ...band(r.sampled) },
      { method: m, iteration: r.iteration, decoding: 'greedy', ...band(r.greedy) },
    ]);
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: titleOf(summary, 'true reward r* by iteration'),
    data: { values },
    facet: { column: { field: 'decoding', type: 'nominal', title: null } },
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          mark: { type: 'errorband', opacity: 0.2 },
          encoding: {
            x: { field: 'iteration', type: 'ordinal' },
            y: { field: 'low', type: 'quantitative', title: 'mean r*' },
            y2: { field: 'high' },
            color: { field: 'method', type: 'nominal' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'iteration', type: 'ordinal', title: 'iteration (0 = SFT)' },
            y: { field: 'mean', type: 'quantitative', title: 'mean r*' },
            color: { field: 'method', type: 'nominal' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Figure 2: win rate of the row model against the column model, judged by r*. */
export function winMatrixSpec(summary: Summary): TopLevelSpec {
  const { labels, mean, halfWidth } = summary.winMatrix;
  const values = labels.flatMap((row, i) =>
    labels.map((col, j) => ({
      row,
      col,
      rate: finite(mean[i]![j]!),
      text: Number.isFinite(halfWidth[i]![j]!)
        ? `${(mean[i]![j]! * 100).toFixed(0)}±${(halfWidth[i]![j]! * 100).toFixed(0)}`
        : `${(mean[i]![j]! * 100).toFixed(0)}`,
    })),
  );
  const size = Math.max(200, 42 * labels.length);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: titleOf(summary, 'Figure 2, win rate (%) of row vs column by r*'),
    data: { values },
    width: size,
    height: size,
    encoding: {
      x: { field: 'col', type: 'nominal', sort: labels, title: 'against' },
      y: { field: 'row', type: 'nominal', sort: labels, title: 'model' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'rate', type: 'quantitative', scale: { domain: [0, 1], scheme: 'redblue' }, title: 'win rate' } },
      },
      { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'text', type: 'nominal' } } },
    ],
  } as TopLevelSpec;
}

/** Figure 3 left: final-iteration r* against α (α = 0 is iterative DPO). */
export function alphaSweepSpec(summary: Summary): TopLevelSpec {
  const values = summary.alphaSweep.flatMap((a) => [
    { alpha: String(a.alpha), decoding: 'sampled', ...band(a.sampled) },
    { alpha: String(a.alpha), decoding: 'greedy', ...band(a.greedy) },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: titleOf(summary, `Figure 3 left, r* after iteration ${summary.iterations[summary.iterations.length - 1]} by α`),
    data: { values },
    width: WIDTH,
    height: HEIGHT,
    encoding: {
      x: { field: 'alpha', type: 'ordinal', sort: null, title: 'α (0 = iterative DPO)' },
      color: { field: 'decoding', type: 'nominal' },
      xOffset: { field: 'decoding' },
    },
    layer: [
      { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative', title: 'mean r*' }, y2: { field: 'high' } } },
      { mark: { type: 'point', filled: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

function histogramSpec(summary: Summary, series: HistogramSeries[], what: string, legend: string): TopLevelSpec {
  const edges = summary.histogramEdges;
  const binLabels = edges.slice(0, -1).map((lo, i) => `${lo.toFixed(1)}–${edges[i + 1]!.toFixed(1)}`);
  const values = series.flatMap((s) => s.fractions.map((f, i) => ({ series: s.label, bin: binLabels[i]!, ...band(f) })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: titleOf(summary, what),
    data: { values },
    width: Math.max(WIDTH, 36 * binLabels.length),
    height: HEIGHT,
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: binLabels, title: 'r* of the greedy response' },
      xOffset: { field: 'series', sort: series.map((s) => s.label) },
      color: { field: 'series', type: 'nominal', sort: series.map((s) => s.label), title: legend },
    },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'mean', type: 'quantitative', title: 'fraction of held-out prompts' } } },
      { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { value: 'black' } } },
    ],
  } as TopLevelSpec;
}

/** Figure 3 middle: greedy r* histograms by α at iteration 2. */
export function histogramByAlphaSpec(summary: Summary): TopLevelSpec {
  return histogramSpec(
    summary,
    summary.histogramsByAlpha,
    `Figure 3 middle, r* distribution at iteration ${summary.histogramIteration} by α`,
    'α',
  );
}

/** Figure 3 right: SELM's greedy r* histograms by iteration. */
export function histogramByIterationSpec(summary: Summary): TopLevelSpec {
  return histogramSpec(summary, summary.histogramsByIteration, 'Figure 3 right, SELM r* distribution by iteration', 'model');
}

/** Figure 4: sorted r̂_SELM − r̂_DPO on held-out chosen and rejected responses. */
export function implicitDifferenceSpec(summary: Summary): TopLevelSpec {
  const { chosen, rejected, iteration } = summary.implicitDifference;
  const values = [
    ...chosen.map((c, i) => ({ response: 'chosen', rank: chosen.length > 1 ? i / (chosen.length - 1) : 0, ...band(c) })),
    ...rejected.map((c, i) => ({ response: 'rejected', rank: rejected.length > 1 ? i / (rejected.length - 1) : 0, ...band(c) })),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: titleOf(summary, `Figure 4, sorted r̂_SELM − r̂_DPO after iteration ${iteration}`),
    data: { values },
    width: WIDTH,
    height: HEIGHT,
    encoding: {
      x: { field: 'rank', type: 'quantitative', title: 'held-out pairs, sorted (quantile)' },
      color: { field: 'response', type: 'nominal' },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { mark: 'line', encoding: { y: { field: 'mean', type: 'quantitative', title: 'r̂_SELM − r̂_DPO' } } },
      { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { datum: 0 }, color: { value: 'gray' } } },
    ],
  } as TopLevelSpec;
}

/** Every figure of a summary: file name -> spec. */
export function figureSpecs(summary: Summary): Record<string, TopLevelSpec> {
  return {
    'reward-by-iteration.svg': rewardByIterationSpec(summary),
    'fig2-win-matrix.svg': winMatrixSpec(summary),
    'fig3-alpha.svg': alphaSweepSpec(summary),
    'fig3-histogram-by-alpha.svg': histogramByAlphaSpec(summary),
    'fig3-histogram-by-iteration.svg': histogramByIterationSpec(summary),
    'fig4-implicit-reward-difference.svg': implicitDifferenceSpec(summary),
  };
}
