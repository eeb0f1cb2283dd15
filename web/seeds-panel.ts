/**
 * Seeds, not anecdotes: the step-through's settings (world, budget, α, β, T, the controls) over many seeds;
 * the distribution of final mean r* per method, each method's found rate, how often SELM beat each of the
 * others; every seed in a table, any one of them opened in the step-through and marked in the histogram on
 * demand. Data: web/comparison.ts's runSeeds.
 */
import { histogramChart, methodColor } from './charts.js';
import { runSeeds, worldLabel, type ComparisonSettings, type SeedsRun } from './comparison.js';
import { meanInterval, pairedDifference, type Interval } from '../src/lab/stats.js';
import { fmt, h, nextFrame, scrollBox, signed, slider } from './dom.js';
import type { StepperHandle } from './stepper-panel.js';

/** "0.123 ± 0.045" with a true minus sign. */
const interval = (i: Interval, sign = false): string => `${sign ? signed(i.mean, 3) : fmt(i.mean, 3)} ± ${fmt(i.halfWidth, 3)}`;

function describeSettings(s: ComparisonSettings): string {
  const world = worldLabel(s.featureWidth);
  const dpoStar = s.dpoStarLearningRate === null ? '' : `, DPO* at lr ${s.dpoStarLearningRate}`;
  const tempered = s.temperature === null ? '' : `, tempered y_ref at τ = ${s.temperature}`;
  return `${world}, α = ${s.alpha}, β = ${s.beta}, T = ${s.iterations}, budget lr ${s.learningRate}${dpoStar}${tempered}`;
}

export function mountSeedsPanel(root: HTMLElement, stepper: StepperHandle): void {
  let count = 20;
  const countSlider = slider(
    { id: 'seeds-count', label: 'seeds', min: 5, max: 100, step: 5, value: count, hint: 'independent worlds (seeds 0, 1, …)' },
    (v) => {
      count = v;
      out.classList.add('stale');
    },
  );
  const button = h('button', { id: 'run-seeds', attrs: { type: 'button' } }, 'Run over seeds');
  const status = h(
    'p',
    { class: 'status', id: 'seeds-status', attrs: { role: 'status' } },
    'Press Run: the settings of the step-through above (world, budget, α, β, T, controls), each seed a new world, new labels and new samples.',
  );
  const out = h('div', { id: 'seeds-view' });
  root.append(h('div', { class: 'controls' }, countSlider.label, button), status, out);
  stepper.onChange(() => {
    if (out.childElementCount > 0) {
      out.classList.add('stale');
      status.textContent = 'The step-through’s settings changed: the distribution below is for the old ones until you run again.';
    }
  });

  button.addEventListener('click', async () => {
    button.disabled = true;
    const seeds = Array.from({ length: count }, (_, i) => i);
    try {
      status.textContent = 'Waiting for DPO*’s tuning…';
      const settings = await stepper.settings();
      const started = performance.now();
      const run = await runSeeds(settings, seeds, {
        onProgress: (f) => (status.textContent = `Training… ${Math.round(f * count)} of ${count} seeds`),
        between: nextFrame,
      });
      const seconds = (performance.now() - started) / 1000;
      status.textContent = `${count} seeds × ${run.methods.length} methods in ${seconds.toFixed(1)} s: ${describeSettings(settings)}.`;
      root.dataset.seconds = seconds.toFixed(2);
      out.classList.remove('stale');
      out.replaceChildren(render(run, (seed) => stepper.showSeed(seed)));
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
  const mean = (vs: readonly number[]): number => vs.reduce((a, b) => a + b, 0) / vs.length;
  const foundRate = (m: string): number => mean(run.outcomes.map((o) => o.found[m]!));
  const mass = (m: string): number => mean(run.outcomes.map((o) => o.betterHillMass[m]!));
  const others = run.methods.filter((m) => m !== 'SELM');
  const summary = h(
    'table',
    { id: 'seeds-summary' },
    h(
      'caption',
      {},
      `Over ${n} seeds (mean ± 95% t interval). Found rate: share of prompts (4 tasks × ${n} seeds) whose greedy response is on the better hill.`,
    ),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'method'), h('th', {}, 'final mean r*'), h('th', {}, 'found rate'), h('th', {}, 'mass on better hill')),
    ),
    h(
      'tbody',
      {},
      ...run.methods.map((m) => {
        const found = foundRate(m);
        return h(
          'tr',
          { attrs: { 'data-method': m } },
          h('td', { attrs: { style: `color:${methodColor(m)}` } }, m),
          h('td', { class: 'num' }, interval(meanInterval(values[m]!))),
          h('td', { class: 'num', attrs: { 'data-found': found } }, `${fmt(100 * found, 0)} %`),
          h('td', { class: 'num' }, fmt(mass(m), 3)),
        );
      }),
    ),
  );
  // Seeds on which SELM's final r* beat each other method's: the table and the sentences below show the same count.
  const wonAgainst: Record<string, number> = Object.fromEntries(
    others.map((m) => [m, run.outcomes.filter((o) => o.finalReward.SELM! > o.finalReward[m]!).length]),
  );
  const wins = h(
    'table',
    { id: 'seeds-wins' },
    h('caption', {}, 'SELM against each other method, paired by seed (same world, labels and SFT model).'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'SELM against'),
        h('th', {}, 'seeds SELM ended higher'),
        h('th', {}, 'SELM − other, mean r*'),
        h('th', {}, 'what the interval says'),
      ),
    ),
    h(
      'tbody',
      {},
      ...others.map((m) => {
        const won = wonAgainst[m]!;
        const d = pairedDifference(values.SELM!, values[m]!);
        return h(
          'tr',
          { attrs: { 'data-against': m } },
          h('td', { attrs: { style: `color:${methodColor(m)}` } }, m),
          h('td', { class: 'num', attrs: { 'data-wins': won } }, `${won} of ${n}`),
          h('td', { class: 'num' }, interval(d, true)),
          h('td', {}, d.n < 2 ? 'one seed: no conclusion' : d.low > 0 ? 'SELM higher' : d.high < 0 ? `${m} higher` : 'no clear difference'),
        );
      }),
    ),
  );
  const sentences = h(
    'p',
    { id: 'seeds-winrates' },
    ...others.map((m) => {
      const won = wonAgainst[m]!;
      return h('span', m === 'DPO' ? { id: 'seeds-winrate' } : {}, `SELM beat ${m} on final r* in ${won} of ${n} seeds. `);
    }),
  );
  const chartBox = scrollBox('scroll-x', histogramChart(values, run.bestReward, 12));
  const marked = h('p', { class: 'status', id: 'seeds-marked' }, 'Open “All seeds” and press Show to mark one seed in the histogram.');
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
          chartBox.replaceChildren(histogramChart(values, run.bestReward, 12, o.finalReward));
          marked.textContent = `▲ marks seed ${o.seed}: ${run.methods.map((m) => `${m} ${fmt(o.finalReward[m]!, 3)}`).join(', ')}. It is open in the step-through above.`;
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
    h('div', { class: 'side-by-side' }, scrollBox('table-scroll', summary), scrollBox('table-scroll', wins)),
    sentences,
    chartBox,
    marked,
    h('details', {}, h('summary', {}, `All ${n} seeds`), scrollBox('table-scroll', perSeed)),
  );
}
