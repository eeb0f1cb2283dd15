/**
 * What the step-through shows for one iteration: mean r* per iteration of every method (chart and table), what
 * each method is (DPO*'s tuning in numbers), π(y|x) of one prompt on a square-root scale (chart and table),
 * and steps 2-4 of Algorithm 1 with the triples each method trained on. Pure rendering of a ComparisonRun.
 */
import { COLORS, distributionChart, methodColor, rewardCurveChart } from './charts.js';
import {
  LEARNING_RATES,
  TUNING_SEEDS,
  worldLabel,
  type ComparisonRun,
  type DpoStarTuning,
  type MethodTrace,
  type TripleRecord,
} from './comparison.js';
import { fmt, h, scrollBox } from './dom.js';

export function renderIteration(run: ComparisonRun, t: number, task: number, tuning: DpoStarTuning | null): HTMLElement {
  const T = run.settings.iterations;
  const rewards = run.rewards[task]!;
  const curve = rewardCurveChart(
    run.methods.map((m) => ({ label: m.name, color: methodColor(m.name), values: m.records.slice(0, t + 1).map((r) => r.meanReward) })),
    run.bestReward,
    T,
    t,
  );
  const sft = run.methods[0]!.records[0]!.probs[task]!;
  const series = [
    { name: 'ref', label: 'π_SFT', color: COLORS.ref, probs: sft },
    ...run.methods.map((m) => ({ name: m.name, label: m.name, color: methodColor(m.name), probs: m.records[t]!.probs[task]! })),
  ];
  const worldName = worldLabel(run.settings.featureWidth);
  const dist = distributionChart(rewards, series, `Task ${task}, ${worldName}, after iteration ${t}: π(y|x)`);
  const best = Math.max(...rewards);
  const distTable = h(
    'table',
    { id: 'dist-table' },
    h('caption', {}, `π(y|x) for a prompt of task ${task} after iteration ${t}, and r*. Better hill: r* > 1; ★ the best response.`),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'y'), h('th', {}, 'r*'), ...series.map((s) => h('th', { attrs: { style: `color:${s.color}` } }, s.label))),
    ),
    h(
      'tbody',
      {},
      ...rewards.map((r, k) =>
        h(
          'tr',
          {},
          h('td', {}, r === best ? `★y${k}` : `y${k}`),
          h('td', { class: 'num' }, fmt(r, 1)),
          ...series.map((s) => h('td', { class: 'num' }, fmt(s.probs[k]!, 3))),
        ),
      ),
    ),
  );
  const curveTable = h(
    'table',
    { id: 'rstar-table' },
    h('caption', {}, `Mean r* on held-out prompts (exact over y ~ π); best possible ${fmt(run.bestReward, 1)}.`),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 't'), ...run.methods.map((m) => h('th', { attrs: { style: `color:${methodColor(m.name)}` } }, m.name))),
    ),
    h(
      'tbody',
      {},
      ...run.methods[0]!.records.slice(0, t + 1).map((_, i) =>
        h(
          'tr',
          { attrs: { 'data-iteration': i } },
          h('td', {}, i === 0 ? '0 (π_SFT)' : i),
          ...run.methods.map((m) => h('td', { class: 'num' }, fmt(m.records[i]!.meanReward, 3))),
        ),
      ),
    ),
  );
  return h(
    'div',
    {},
    h(
      'h3',
      { id: 'iteration-title' },
      t === 0 ? `Before iteration 1: every method starts from π_SFT (T = ${T})` : `Iteration ${t} of ${T}`,
    ),
    h('div', { class: 'side-by-side' }, scrollBox('scroll-x', curve), scrollBox('table-scroll', curveTable)),
    methodsNote(run, tuning),
    scrollBox('scroll-x', dist),
    h('p', { class: 'scroll-hint' }, '← the chart scrolls sideways →'),
    h('details', {}, h('summary', {}, 'The chart’s values as a table'), scrollBox('table-scroll', distTable)),
    t === 0
      ? h(
          'p',
          {},
          'Press Step to run iteration 1: take the first portion D_1 of the preference data, sample y_ref from π_ref for each prompt, rank, train.',
        )
      : steps(run, t, task),
  );
}

function steps(run: ComparisonRun, t: number, task: number): HTMLElement {
  const rewards = run.rewards[task]!;
  const y = (k: number): string => `y${k} (${fmt(rewards[k]!, 1)})`;
  const portion = run.methods[0]!.records[t]!.triples.length;
  const tableOf = (m: MethodTrace): HTMLElement => {
    const triples = m.records[t]!.triples.filter((x) => x.task === task);
    const won = triples.filter((x) => x.chosen === x.yRef && x.yRef !== x.offeredChosen).length;
    const shown = triples.slice(0, 5);
    const row = (x: TripleRecord): HTMLTableRowElement =>
      h(
        'tr',
        {},
        h('td', {}, `#${x.instance}`),
        h('td', {}, y(x.offeredChosen)),
        h('td', {}, y(x.offeredRejected)),
        h('td', { class: 'strong' }, y(x.yRef)),
        h('td', {}, `${y(x.chosen)} ≻ ${y(x.rejected)}`),
      );
    return scrollBox(
      'table-scroll',
      h(
        'table',
        { class: 'triples', attrs: { 'data-method': m.name } },
        h(
          'caption',
          { attrs: { style: `color:${methodColor(m.name)}` } },
          `${m.name}: ${triples.length} prompts of task ${task} in D_${t}; y_ref became the chosen response in ${won}. First ${shown.length}:`,
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'prompt'),
            h('th', {}, 'y_w (r*)'),
            h('th', {}, 'y_l (r*)'),
            h('th', {}, 'y_ref ~ π_ref'),
            h('th', {}, 'trained pair: best ≻ worst'),
          ),
        ),
        h('tbody', {}, ...shown.map(row)),
      ),
    );
  };
  return h(
    'div',
    { class: 'steps' },
    h(
      'ol',
      {},
      h(
        'li',
        {},
        `Step 2: D_${t} is portion ${t} of the ${run.settings.iterations} portions of D (${portion} prompts). Each method samples y_ref ~ π_ref(·|x) from its own π_ref: the policy after iteration ${t - 1}.`,
      ),
      h('li', {}, 'Step 3: the ranker (r* itself here) orders {y_w, y_l, y_ref}; the best becomes chosen, the worst rejected.'),
      h('li', {}, `Step 4: train on the new pairs with loss (3.2) (α = 0 for DPO and the controls), then π_ref ← πθ_${t}.`),
    ),
    ...run.methods.filter((m) => !isControl(m)).map(tableOf),
    run.methods.some(isControl)
      ? h('details', {}, h('summary', {}, 'What the controls trained on'), ...run.methods.filter(isControl).map(tableOf))
      : null,
  );
}

const isControl = (m: MethodTrace): boolean => m.name !== 'DPO' && m.name !== 'SELM';

/** What each method is, with DPO*'s tuning in numbers. */
function methodsNote(run: ComparisonRun, tuning: DpoStarTuning | null): HTMLElement {
  const items = run.methods.map((m) => {
    const what =
      m.name === 'DPO'
        ? `iterative DPO (α = 0) at the budget chosen above, lr ${m.method.learningRate}.`
        : m.name === 'SELM'
          ? `loss (3.2) with α = ${m.method.alpha}, same budget.`
          : m.name === 'DPO*'
            ? `iterative DPO at lr ${m.method.learningRate}, the budget with the best mean final r* on tuning seeds ${TUNING_SEEDS[0]}–${TUNING_SEEDS.at(-1)} (never shown as results)${tuning ? `: ${LEARNING_RATES.map((lr, i) => `lr ${lr} → ${fmt(tuning.meanReward[i]!, 3)}`).join(', ')}` : ''}. The fair baseline: does SELM beat DPO given a well-chosen budget?`
            : `iterative DPO whose y_ref is sampled from π_ref at temperature τ = ${m.method.yRefTemperature} (flatter than π_ref): exploration without optimism.`;
    return h('li', {}, h('strong', { attrs: { style: `color:${methodColor(m.name)}` } }, m.name), `: ${what}`);
  });
  return h('ul', { class: 'methods-note', id: 'methods-note' }, ...items);
}
