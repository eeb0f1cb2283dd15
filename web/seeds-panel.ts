/**
 * Seeds, not anecdotes: the step-through's settings over many seeds; the distribution of final mean r* per
 * method, how often each method found the better hill, how often SELM beat DPO; every seed in a table, any
 * one of them opened in the step-through on demand. Data: web/comparison.ts's runSeeds.
 */
import { DEFAULT_SETTINGS, type BanditSettings } from './bandit-run.js';
import { histogramChart, methodColor } from './charts.js';
import { runSeeds, type SeedsRun } from './comparison.js';
import { fmt, h, nextFrame, scrollBox, slider } from './dom.js';

/** A method "found" the better hill when, averaged over tasks, it puts at least half its mass there. */
export const FOUND_MASS = 0.5;

export function mountSeedsPanel(root: HTMLElement, showSeed: (seed: number) => void): void {
  const settings: BanditSettings = { ...DEFAULT_SETTINGS, alpha: 5, beta: 1, iterations: 8 };
  let count = 20;
  const sliders = [
    slider(
      { id: 'seeds-alpha', label: 'α', min: 0.1, max: 10, step: 0.1, value: settings.alpha, hint: 'optimism' },
      (v) => (settings.alpha = v),
    ),
    slider(
      { id: 'seeds-beta', label: 'β', min: 0.05, max: 2, step: 0.05, value: settings.beta, hint: 'KL strength' },
      (v) => (settings.beta = v),
    ),
    slider(
      { id: 'seeds-iterations', label: 'T', min: 1, max: 8, step: 1, value: settings.iterations, hint: 'training budget: iterations' },
      (v) => (settings.iterations = v),
    ),
    slider({ id: 'seeds-count', label: 'seeds', min: 5, max: 60, step: 5, value: count, hint: 'independent worlds' }, (v) => (count = v)),
  ];
  const button = h('button', { id: 'run-seeds', attrs: { type: 'button' } }, 'Run over seeds');
  const status = h(
    'p',
    { class: 'status', id: 'seeds-status', attrs: { role: 'status' } },
    'Press Run: each seed is a new world, new labels and new samples.',
  );
  const out = h('div', { id: 'seeds-view' });
  root.append(h('div', { class: 'controls' }, ...sliders.map((s) => s.label), button), status, out);
  for (const s of sliders) s.input.addEventListener('input', () => out.classList.add('stale'));

  button.addEventListener('click', async () => {
    button.disabled = true;
    const seeds = Array.from({ length: count }, (_, i) => i);
    try {
      const started = performance.now();
      const run = await runSeeds({ ...settings }, seeds, {
        onProgress: (f) => (status.textContent = `Training… ${Math.round(f * count)} of ${count} seeds`),
        between: nextFrame,
      });
      status.textContent = `${count} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s (α = ${settings.alpha}, β = ${settings.beta}, T = ${settings.iterations}).`;
      out.classList.remove('stale');
      out.replaceChildren(render(run, showSeed));
      root.dataset.state = 'done';
    } catch (e) {
      status.textContent = `Could not run: ${e instanceof Error ? e.message : String(e)}`;
      root.dataset.state = 'error';
    } finally {
      button.disabled = false;
    }
  });
}

function render(run: SeedsRun, showSeed: (seed: number) => void): HTMLElement {
  const n = run.outcomes.length;
  const values = Object.fromEntries(run.methods.map((m) => [m, run.outcomes.map((o) => o.finalReward[m]!)]));
  const found = (m: string): number => run.outcomes.filter((o) => o.betterHillMass[m]! >= FOUND_MASS).length;
  const wins = run.outcomes.filter((o) => o.finalReward.SELM! > o.finalReward.DPO!).length;
  const mean = (vs: readonly number[]): number => vs.reduce((a, b) => a + b, 0) / vs.length;
  const summary = h(
    'table',
    { id: 'seeds-summary' },
    h('caption', {}, `Over ${n} seeds. Found: at least ${FOUND_MASS} of the mass on the better hill (r* > 1), averaged over tasks.`),
    h('thead', {}, h('tr', {}, h('th', {}, 'method'), h('th', {}, 'mean final r*'), h('th', {}, 'found the better hill'))),
    h(
      'tbody',
      {},
      ...run.methods.map((m) =>
        h(
          'tr',
          {},
          h('td', { attrs: { style: `color:${methodColor(m)}` } }, m),
          h('td', { class: 'num' }, fmt(mean(values[m]!), 3)),
          h('td', { class: 'num', attrs: { 'data-found': found(m) } }, `${found(m)} of ${n}`),
        ),
      ),
    ),
    h(
      'tfoot',
      {},
      h(
        'tr',
        {},
        h('td', { attrs: { colspan: 3 } }, h('span', { id: 'seeds-winrate' }, `SELM beat DPO on final r* in ${wins} of ${n} seeds.`)),
      ),
    ),
  );
  const chartBox = scrollBox('scroll-x', histogramChart(values, run.bestReward, 20));
  const perSeed = h(
    'table',
    { id: 'seeds-table' },
    h('caption', {}, 'Every seed (the histogram’s data). Show opens it in the step-through above and marks it in the histogram.'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'seed'),
        ...run.methods.map((m) => h('th', { attrs: { style: `color:${methodColor(m)}` } }, `${m} r*`)),
        h('th', {}, 'step-through'),
      ),
    ),
    h(
      'tbody',
      {},
      ...run.outcomes.map((o) => {
        const b = h('button', { class: 'link', attrs: { type: 'button', 'data-seed': o.seed } }, `Show seed ${o.seed}`);
        b.addEventListener('click', () => {
          chartBox.replaceChildren(histogramChart(values, run.bestReward, 20, o.finalReward));
          showSeed(o.seed);
        });
        return h(
          'tr',
          {},
          h('td', {}, o.seed),
          ...run.methods.map((m) => h('td', { class: 'num' }, fmt(o.finalReward[m]!, 3))),
          h('td', {}, b),
        );
      }),
    ),
  );
  return h(
    'div',
    {},
    h('div', { class: 'side-by-side' }, scrollBox('table-scroll', summary)),
    chartBox,
    h('details', {}, h('summary', {}, `All ${n} seeds`), scrollBox('table-scroll', perSeed)),
  );
}
