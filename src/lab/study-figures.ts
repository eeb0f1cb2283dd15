/**
 * The study's figures as Vega-Lite specs (rendered by figures.ts's renderSvg): the SELM − DPO heatmap over
 * (α, budget) on the tuning seeds, the budget sweep of SELM − DPO with intervals, the reward-KL frontier, the
 * per-seed histogram of final mean r*, and Figure 4's four populations beside the identity's predictions.
 */
import type { TopLevelSpec } from 'vega-lite';
import { captioned, f3, pm } from './figures.js';
import type { Interval } from './stats.js';
import type { StudySummary } from './study-summary.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** A mean and its interval, clipped to [min, max] (a difference of fractions to [−1, 1]). */
function band(i: Interval, min = -Infinity, max = Infinity): { mean: number | null; low: number | null; high: number | null } {
  const f = (v: number): number | null => (Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : null);
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
  const spec = {
    $schema: SCHEMA,
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
  return captioned(
    spec,
    `${s.title}: SELM − DPO final mean r* over (α, budget), ${s.tuningSeeds} tuning seeds`,
    'no such sweep: the paper reports one α per model (Figure 3 left varies α at a fixed training recipe).',
    `each cell is SELM − DPO in final mean r* on the ${s.tuningSeeds} tuning seeds at one (α, learning rate); red: SELM lower, blue: SELM higher. Chosen from it: α̂ = ${s.choices.alpha} at the default budget, SELM* = (α ${s.choices.selmAlpha}, lr ${s.choices.selmLearningRate}), DPO* at lr ${s.choices.dpoLearningRate}.`,
  );
}

export function budgetSpec(s: StudySummary): TopLevelSpec {
  const values = s.budget.flatMap((b) => [
    { lr: b.learningRate, metric: 'Δ mean r*', ...band(b.difference.meanReward) },
    { lr: b.learningRate, metric: 'Δ found', ...band(b.difference.found, -1, 1) },
    { lr: b.learningRate, metric: 'Δ touch', ...band(b.difference.touch, -1, 1) },
  ]);
  const spec = {
    $schema: SCHEMA,
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
            // '~' trims trailing zeros: a facet whose differences are all 0 (no found-rate change) read 0.000000.
            y: { field: 'low', type: 'quantitative', title: 'SELM − DPO', axis: { format: '.3~f' } },
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
  return captioned(
    spec,
    `${s.title}: SELM (α = ${s.choices.alpha}) − DPO along the budget axis (${s.evaluationSeeds} evaluation seeds, 95% CI)`,
    'SELM beats iterative DPO at the one training recipe used (Table 1); the budget per iteration is not varied.',
    `SELM (α = ${s.choices.alpha}) − DPO at each budget, paired by seed on ${s.evaluationSeeds} evaluation seeds: ${s.budget.map((b) => `lr ${b.learningRate}: ${pm(b.difference.meanReward)}`).join('; ')}. An interval that contains 0 is no difference; found and touch differences are clipped to [−1, 1].`,
  );
}

export function frontierSpec(s: StudySummary): TopLevelSpec {
  const values = s.budget.flatMap((b) => [
    { method: 'DPO', lr: b.learningRate, kl: b.dpo.klSft.mean, ...band(b.dpo.meanReward) },
    { method: `SELM α=${s.choices.alpha}`, lr: b.learningRate, kl: b.selm.klSft.mean, ...band(b.selm.meanReward) },
  ]);
  const spec = {
    $schema: SCHEMA,
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
  return captioned(
    spec,
    `${s.title}: reward-KL frontier across the budget sweep`,
    'not reported; a larger KL from π_SFT is the price of a larger move, which the paper controls by β only.',
    `final mean r* against KL(πθ‖π_SFT) for DPO and SELM (α = ${s.choices.alpha}) at every budget (labels: learning rate). A method is better at a budget only if it gains r* for the KL it spends.`,
  );
}

export function seedHistogramSpec(s: StudySummary): TopLevelSpec {
  const e = s.histogramEdges;
  const values = s.distributions.flatMap((d) => d.counts.map((count, i) => ({ method: d.role, low: e[i]!, high: e[i + 1]!, count })));
  const spec = {
    $schema: SCHEMA,
    data: { values },
    facet: { row: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 360,
      height: 60,
      mark: 'rect',
      encoding: {
        x: {
          field: 'low',
          type: 'quantitative',
          title: 'final mean r* of a seed',
          scale: { zero: false, nice: false, domain: [e[0]!, e[e.length - 1]!] },
        },
        x2: { field: 'high' },
        y: { field: 'count', type: 'quantitative', title: 'seeds' },
      },
    },
  } as TopLevelSpec;
  return captioned(
    spec,
    `${s.title}: final mean r* per evaluation seed`,
    'single runs per setting; no per-seed distribution.',
    `final mean r* of each of the ${s.evaluationSeeds} evaluation seeds, per method, bins fitted to the range (${f3(e[0]!)} to ${f3(e[e.length - 1]!)}). Medians: ${s.distributions.map((d) => `${d.role} ${f3(d.quantiles[2]!)}`).join(', ')}.`,
  );
}

export function figure4Spec(s: StudySummary): TopLevelSpec {
  const values = s.figure4.flatMap((f) => [
    { population: f.population, what: 'measured', ...band(f.value) },
    ...(f.predicted ? [{ population: f.population, what: 'identity', ...band(f.predicted) }] : []),
  ]);
  const spec = {
    $schema: SCHEMA,
    data: { values },
    width: 360,
    height: 200,
    encoding: {
      x: { field: 'population', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'what' },
      color: { field: 'what', type: 'nominal', title: null },
    },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { datum: 0 } } },
      { mark: 'bar', encoding: { y: { field: 'mean', type: 'quantitative', title: 'E[Δ r̂]' } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  } as TopLevelSpec;
  return captioned(
    spec,
    `${s.title}: Figure 4, E[r̂_SELM − r̂_DPO] after iteration 1 by population (mean, 95% CI)`,
    'Figure 4, on UltraFeedback held-out pairs (responses of other models) r̂_SELM − r̂_DPO after iteration 1 is above 0 for chosen and rejected responses.',
    `E[r̂_SELM − r̂_DPO] after iteration 1 on four populations of responses, beside what section 3.3’s identity predicts: ${s.figure4.map((f) => `${f.population}: ${pm(f.value)}${f.predicted ? ` (identity ${pm(f.predicted)})` : ' (no identity)'}`).join('; ')}. On π_ref’s samples the identity gives −β(KL(π_ref‖π_SELM) − KL(π_ref‖π_DPO)), on SELM’s own β·KL(π_SELM‖π_DPO) ≥ 0: which population is evaluated decides the sign; the paper’s pairs are off-policy, like the uniform one.`,
  );
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
  const spec = {
    $schema: SCHEMA,
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
  return captioned(
    spec,
    `${s.title}: π(y | task 0) per iteration, evaluation seed ${p?.seed ?? '-'} (square-root scale)`,
    'Figure 3 right: SELM first explores, then moves to higher rewards.',
    `π(y | task 0) after each iteration on evaluation seed ${p?.seed ?? '-'}, per method; the square-root scale makes mass of 0.01 visible. The better hill is the responses with r* above 1.`,
  );
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
