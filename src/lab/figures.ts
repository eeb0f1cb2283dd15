/**
 * The report's figures as Vega-Lite specs, rendered to SVG in Node (vega's headless renderer needs no canvas
 * or native code); the same specs render in a browser. Every figure shows a mean over seeds with its 95%
 * interval (clipped to the range the quantity can take) and has a caption under it: what the paper's figure
 * shows, and what this run shows. Figure numbers follow the paper: 2 (pairwise win rates), 3 (α study and
 * reward histograms), 4 (implicit-reward differences).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Interval } from './stats.js';
import type { HistogramSeries, Summary } from './summary.js';

/** Renders a Vega-Lite spec to an SVG string, the same bytes for the same spec (see `stableIds`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Legend swatches at full opacity: a legend shared with a translucent band would otherwise draw them faded.
  const styled = { ...spec, config: { ...spec.config, legend: { symbolOpacity: 1, ...spec.config?.legend } } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(styled).spec), { renderer: 'none' });
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

/** A mean and its interval for a figure, the interval clipped to [min, max] (a fraction's to [0, 1]). */
export function band(i: Interval, min = -Infinity, max = Infinity): { mean: number | null; low: number | null; high: number | null } {
  const clip = (v: number): number => Math.min(max, Math.max(min, v));
  return { mean: finite(i.mean), low: finite(clip(i.low)), high: finite(clip(i.high)) };
}

/** Lines of at most `width` characters, broken at spaces (Vega does not wrap text). */
export function wrap(text: string, width = 110): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * The figure's heading and its caption under it, as a paper prints them: `paper` says what the paper's figure
 * shows, `run` what this run shows.
 */
export function captioned(spec: TopLevelSpec, heading: string, paper: string, run: string): TopLevelSpec {
  return {
    ...spec,
    title: {
      text: heading,
      subtitle: [...wrap(`The paper: ${paper}`), ...wrap(`This run: ${run}`)],
      orient: 'bottom',
      anchor: 'start',
      fontSize: 13,
      subtitleFontSize: 11,
      subtitleColor: '#333',
      offset: 14,
    },
  } as TopLevelSpec;
}

/** A number in a caption: three decimals, or n/a. */
export const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
/** An interval in a caption: mean ± half-width (the mean alone where the width is undefined). */
export const pm = (i: Interval): string => (Number.isFinite(i.halfWidth) ? `${f3(i.mean)} ± ${f3(i.halfWidth)}` : f3(i.mean));

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
  const last = summary.iterations[summary.iterations.length - 1]!;
  const at = (method: string): Interval | undefined => summary.rows.find((r) => r.method === method && r.iteration === last)?.sampled;
  const d = summary.differences.find((x) => x.iteration === last)?.sampled;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
  const dpo = at('DPO');
  const selm = at('SELM');
  return captioned(
    spec,
    titleOf(summary, 'true reward r* by iteration'),
    'the aligned model improves with each online iteration, SELM more than iterative DPO (AlpacaEval 2.0 win rates, Table 1).',
    `after iteration ${last}, mean r* of a sampled response: DPO ${dpo ? pm(dpo) : 'n/a'}, SELM (α = ${summary.alpha}) ${selm ? pm(selm) : 'n/a'}; SELM − DPO paired by seed ${d ? pm(d) : 'n/a'} (the best possible is ${f3(summary.bestReward)}).`,
  );
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
  const last = summary.iterations[summary.iterations.length - 1]!;
  const i = labels.indexOf(`SELM iter ${last}`);
  const j = labels.indexOf(`DPO iter ${last}`);
  const head =
    i >= 0 && j >= 0
      ? `SELM after iteration ${last} wins ${(100 * mean[i]![j]!).toFixed(0)}% ${Number.isFinite(halfWidth[i]![j]!) ? `± ${(100 * halfWidth[i]![j]!).toFixed(0)} ` : ''}against DPO after iteration ${last}, judged by r* (ties count one half; 50% is a draw).`
      : 'no SELM and DPO of the same iteration to compare.';
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
  return captioned(
    spec,
    titleOf(summary, 'Figure 2, win rate (%) of row vs column by r*'),
    'Figure 2, length-controlled win rates of row against column models on AlpacaEval 2.0; each SELM iteration beats the iterative DPO iteration it is paired with.',
    head,
  );
}

/** Figure 3 left: final-iteration r* against α (α = 0 is iterative DPO). */
export function alphaSweepSpec(summary: Summary): TopLevelSpec {
  const values = summary.alphaSweep.flatMap((a) => [
    { alpha: String(a.alpha), decoding: 'sampled', ...band(a.sampled) },
    { alpha: String(a.alpha), decoding: 'greedy', ...band(a.greedy) },
  ]);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
  const last = summary.iterations[summary.iterations.length - 1]!;
  const best = summary.alphaSweep.reduce((a, b) => (b.sampled.mean > a.sampled.mean ? b : a), summary.alphaSweep[0]!);
  return captioned(
    spec,
    titleOf(summary, `Figure 3 left, r* after iteration ${last} by α`),
    'Figure 3 left, AlpacaEval 2.0 win rate by α: a tiny α behaves like iterative DPO (α = 0), a moderate α does best, a large α is overly optimistic.',
    `mean r* of a sampled response after iteration ${last}: ${summary.alphaSweep.map((a) => `α = ${a.alpha}: ${pm(a.sampled)}`).join('; ')}. Highest: α = ${best?.alpha}.`,
  );
}

function histogramSpec(summary: Summary, series: HistogramSeries[], legend: string): TopLevelSpec {
  const edges = summary.histogramEdges;
  const binLabels = edges.slice(0, -1).map((lo, i) => `${lo.toFixed(1)}–${edges[i + 1]!.toFixed(1)}`);
  const greedy = 'greedy response (the paper’s decoding)';
  const sampled = summary.world === 'bandit' ? 'sampled response (exact over Y)' : 'sampled response';
  const values = series.flatMap((s) => [
    ...s.fractions.map((f, i) => ({ series: s.label, decoding: greedy, bin: binLabels[i]!, ...band(f, 0, 1) })),
    ...s.sampledFractions.map((f, i) => ({ series: s.label, decoding: sampled, bin: binLabels[i]!, ...band(f, 0, 1) })),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    facet: { column: { field: 'decoding', type: 'nominal', sort: [greedy, sampled], title: null } },
    spec: {
      width: Math.max(WIDTH, 30 * binLabels.length),
      height: HEIGHT,
      encoding: {
        x: { field: 'bin', type: 'ordinal', sort: binLabels, title: 'r* of the response' },
        xOffset: { field: 'series', sort: series.map((s) => s.label) },
      },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'mean', type: 'quantitative', title: 'fraction', scale: { domain: [0, 1] } },
            color: { field: 'series', type: 'nominal', sort: series.map((s) => s.label), title: legend },
          },
        },
        { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { value: 'black' } } },
      ],
    },
  } as TopLevelSpec;
}

/** Share of the mass in bins whose lower edge is at least `from`, as a percentage, per series. */
function massAbove(summary: Summary, s: HistogramSeries, from: number): string {
  const share = s.sampledFractions.reduce((a, f, i) => a + (summary.histogramEdges[i]! >= from - 1e-9 ? f.mean : 0), 0);
  return `${(100 * share).toFixed(0)}%`;
}

function histogramRun(summary: Summary, series: HistogramSeries[]): string {
  // The bandit's better hill is r* > 1 (its values there are at least 1.3): the first edge above 1 separates it.
  const edges = summary.histogramEdges;
  const above = summary.world === 'bandit' ? (edges.find((e) => e > 1 + 1e-9) ?? 1) : (edges[Math.floor(edges.length / 2)] ?? 0);
  const hill = summary.world === 'bandit' && above <= 1.3 ? ' (the better hill)' : '';
  return `mean greedy r*: ${series.map((s) => `${s.label} ${pm(s.meanGreedy)}`).join('; ')}. Sampled mass at r* ≥ ${above.toFixed(1)}${hill}: ${series.map((s) => `${s.label} ${massAbove(summary, s, above)}`).join(', ')}. Bins cover the r* values this run produced; a single greedy bar means every held-out prompt’s greedy response had the same r*.`;
}

/** Figure 3 middle: r* histograms by α at iteration 2, greedy (as the paper) and sampled. */
export function histogramByAlphaSpec(summary: Summary): TopLevelSpec {
  return captioned(
    histogramSpec(summary, summary.histogramsByAlpha, 'α'),
    titleOf(summary, `Figure 3 middle, r* distribution at iteration ${summary.histogramIteration} by α`),
    'Figure 3 middle, PairRM rewards of greedy responses at iteration 2: a larger α concentrates the distribution in higher-reward regions.',
    histogramRun(summary, summary.histogramsByAlpha),
  );
}

/** Figure 3 right: SELM's r* histograms by iteration. */
export function histogramByIterationSpec(summary: Summary): TopLevelSpec {
  return captioned(
    histogramSpec(summary, summary.histogramsByIteration, 'model'),
    titleOf(summary, 'Figure 3 right, SELM r* distribution by iteration'),
    'Figure 3 right, SELM’s reward distribution first spreads (exploration), then shifts to higher rewards with more iterations.',
    histogramRun(summary, summary.histogramsByIteration),
  );
}

/** Figure 4: sorted r̂_SELM − r̂_DPO on held-out chosen and rejected responses. */
export function implicitDifferenceSpec(summary: Summary): TopLevelSpec {
  const { chosen, rejected, iteration } = summary.implicitDifference;
  const values = [
    ...chosen.map((c, i) => ({ response: 'chosen', rank: chosen.length > 1 ? i / (chosen.length - 1) : 0, ...band(c) })),
    ...rejected.map((c, i) => ({ response: 'rejected', rank: rejected.length > 1 ? i / (rejected.length - 1) : 0, ...band(c) })),
  ];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
  const avg = (xs: Interval[]): string => f3(xs.reduce((a, x) => a + x.mean, 0) / Math.max(1, xs.length));
  return captioned(
    spec,
    titleOf(summary, `Figure 4, sorted r̂_SELM − r̂_DPO after iteration ${iteration}`),
    'Figure 4, on UltraFeedback’s held-out pairs (responses of other models) the difference is above 0 for chosen and rejected responses: SELM’s implicit reward is the higher.',
    `the held-out pairs here are drawn like D, from the demonstrations’ distribution, i.e. from about π_SFT, which is π_ref at iteration 1. On π_ref’s own responses section 3.3’s identity predicts E[r̂_SELM − r̂_DPO] = −β(KL(π_ref‖π_SELM) − KL(π_ref‖π_DPO)), below 0 whenever SELM moved further from π_ref than DPO: the paper’s sign is not expected on this population. Measured mean: chosen ${avg(chosen)}, rejected ${avg(rejected)}. The study’s Figure 4 (study/figures/*-figure4.svg) checks the identity on four populations, SELM’s own samples among them (predicted ≥ 0).`,
  );
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
