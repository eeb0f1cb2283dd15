/**
 * The study's figures as Vega-Lite specs (rendered by figures.ts's renderSvg): the SELM − DPO heatmap over
 * (α, budget) on the tuning seeds, the budget sweep of SELM − DPO with intervals, the reward-KL frontier, the
 * per-seed histogram of final mean r*, and Figure 4's four populations beside the identity's predictions.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Interval } from './stats.js';
import type { StudySummary } from './study-summary.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function band(i: Interval): { mean: number | null; low: number | null; high: number | null } {
  const f = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return { mean: f(i.mean), low: f(i.low), high: f(i.high) };
}

export function heatmapSpec(s: StudySummary): TopLevelSpec {
  const values = s.heatmap.alphas.flatMap((a, i) =>
    s.heatmap.learningRates.map((lr, j) => ({
      alpha: String(a),
      lr: String(lr),
      d: s.heatmap.values[i]![j]!,
      text: s.heatmap.values[i]![j]!.toFixed(3),
    })),
  );
  const extent = Math.max(1e-6, ...values.map((v) => Math.abs(v.d)));
  return {
    $schema: SCHEMA,
    title: `${s.title}: SELM − DPO final mean r* over (α, budget), ${s.tuningSeeds} tuning seeds`,
    data: { values },
    width: 60 * s.heatmap.learningRates.length,
    height: 40 * s.heatmap.alphas.length,
    encoding: {
      x: { field: 'lr', type: 'ordinal', sort: null, title: 'per-iteration learning rate (budget)' },
      y: { field: 'alpha', type: 'ordinal', sort: null, title: 'α' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'd', type: 'quantitative', scale: { domain: [-extent, extent], scheme: 'redblue' }, title: 'SELM − DPO' },
        },
      },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'text', type: 'nominal' } } },
    ],
  } as TopLevelSpec;
}

export function budgetSpec(s: StudySummary): TopLevelSpec {
  const values = s.budget.flatMap((b) => [
    { lr: b.learningRate, metric: 'Δ mean r*', ...band(b.difference.meanReward) },
    { lr: b.learningRate, metric: 'Δ found', ...band(b.difference.found) },
    { lr: b.learningRate, metric: 'Δ touch', ...band(b.difference.touch) },
  ]);
  return {
    $schema: SCHEMA,
    title: `${s.title}: SELM (α = ${s.choices.alpha}) − DPO along the budget axis (${s.evaluationSeeds} evaluation seeds, 95% CI)`,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 180,
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } },
        {
          mark: 'rule',
          encoding: {
            x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'learning rate (budget)' },
            y: { field: 'low', type: 'quantitative', title: 'SELM − DPO' },
            y2: { field: 'high' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: { x: { field: 'lr', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'mean', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export function frontierSpec(s: StudySummary): TopLevelSpec {
  const values = s.budget.flatMap((b) => [
    { method: 'DPO', lr: b.learningRate, kl: b.dpo.klSft.mean, ...band(b.dpo.meanReward) },
    { method: `SELM α=${s.choices.alpha}`, lr: b.learningRate, kl: b.selm.klSft.mean, ...band(b.selm.meanReward) },
  ]);
  return {
    $schema: SCHEMA,
    title: `${s.title}: reward-KL frontier across the budget sweep`,
    data: { values },
    width: 320,
    height: 220,
    encoding: { color: { field: 'method', type: 'nominal' } },
    layer: [
      {
        mark: 'rule',
        encoding: {
          x: { field: 'kl', type: 'quantitative', title: 'KL(πθ ‖ π_SFT)' },
          y: { field: 'low', type: 'quantitative', title: 'final mean r*' },
          y2: { field: 'high' },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'kl', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' }, order: { field: 'lr' } },
      },
      {
        mark: { type: 'text', dy: -8, fontSize: 9 },
        encoding: { x: { field: 'kl', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' }, text: { field: 'lr' } },
      },
    ],
  } as TopLevelSpec;
}

export function seedHistogramSpec(s: StudySummary): TopLevelSpec {
  const e = s.histogramEdges;
  const values = s.distributions.flatMap((d) => d.counts.map((count, i) => ({ method: d.role, low: e[i]!, high: e[i + 1]!, count })));
  return {
    $schema: SCHEMA,
    title: `${s.title}: final mean r* per evaluation seed`,
    data: { values },
    facet: { row: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 360,
      height: 60,
      mark: 'rect',
      encoding: {
        x: { field: 'low', type: 'quantitative', title: 'final mean r* of a seed' },
        x2: { field: 'high' },
        y: { field: 'count', type: 'quantitative', title: 'seeds' },
      },
    },
  } as TopLevelSpec;
}

export function figure4Spec(s: StudySummary): TopLevelSpec {
  const values = s.figure4.flatMap((f) => [
    { population: f.population, what: 'measured', ...band(f.value) },
    ...(f.predicted ? [{ population: f.population, what: 'identity', ...band(f.predicted) }] : []),
  ]);
  return {
    $schema: SCHEMA,
    title: `${s.title}: Figure 4, E[r̂_SELM − r̂_DPO] after iteration 1 by population (mean, 95% CI)`,
    data: { values },
    width: 360,
    height: 200,
    encoding: {
      x: { field: 'population', type: 'nominal', sort: null, title: null },
      xOffset: { field: 'what' },
      color: { field: 'what', type: 'nominal', title: null },
    },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { datum: 0 } } },
      { mark: 'bar', encoding: { y: { field: 'mean', type: 'quantitative', title: 'E[Δ r̂]' } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  } as TopLevelSpec;
}

/** π(y) per iteration over the response line (r* in each label), on a square-root scale so rare mass shows. */
export function policySpec(s: StudySummary): TopLevelSpec {
  const p = s.policies;
  const label = (k: number): string => `${String(k).padStart(2, '0')} (r*=${p!.rewards[k]!.toFixed(1)})`;
  const values =
    p === null
      ? []
      : p.roles.flatMap((r) =>
          r.iterations.flatMap((probs, t) =>
            probs.map((pi, k) => ({ method: r.role, iteration: t === 0 ? '0 (SFT)' : String(t), response: label(k), pi })),
          ),
        );
  return {
    $schema: SCHEMA,
    title: `${s.title}: π(y | task 0) per iteration, evaluation seed ${p?.seed ?? '-'} (square-root scale)`,
    data: { values },
    facet: { row: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 420,
      height: 90,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'response', type: 'ordinal', title: 'response y (its true reward r*)' },
        y: { field: 'pi', type: 'quantitative', scale: { type: 'sqrt', domain: [0, 1] }, title: 'π(y)' },
        color: { field: 'iteration', type: 'ordinal' },
      },
    },
  } as TopLevelSpec;
}

/** Every study figure, by file name. */
export function studyFigureSpecs(s: StudySummary): Record<string, TopLevelSpec> {
  return {
    [`${s.name}-heatmap.svg`]: heatmapSpec(s),
    [`${s.name}-budget.svg`]: budgetSpec(s),
    [`${s.name}-frontier.svg`]: frontierSpec(s),
    [`${s.name}-seed-histogram.svg`]: seedHistogramSpec(s),
    [`${s.name}-figure4.svg`]: figure4Spec(s),
    [`${s.name}-policy.svg`]: policySpec(s),
  };
}
