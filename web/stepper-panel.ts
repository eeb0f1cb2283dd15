/**
 * Algorithm 1 step by step (after TensorFlow Playground's Play / Step / Reset): every method the lab runs,
 * from the same π_SFT and seed, iteration by iteration, with what steps 2-4 did to one task's prompts. Results
 * follow the sliders live (re-run on release of a drag, marked stale meanwhile). Data: web/comparison.ts.
 */
import { DEFAULT_SETTINGS, type BanditSettings } from './bandit-run.js';
import { COLORS, distributionChart, methodColor, rewardCurveChart } from './charts.js';
import { runComparison, type ComparisonRun, type MethodTrace, type TripleRecord } from './comparison.js';
import { fmt, h, nextFrame, scrollBox, slider } from './dom.js';

export interface StepperState {
  run: ComparisonRun;
  /** The iteration shown, 0..T. */
  t: number;
  task: number;
}

export interface StepperHandle {
  /** Shows this seed (from the seeds panel). */
  showSeed(seed: number): void;
}

export function mountStepperPanel(root: HTMLElement, onState: (state: StepperState) => void): StepperHandle {
  const settings: BanditSettings = { ...DEFAULT_SETTINGS, alpha: 5, beta: 1, iterations: 8, seed: 24 };
  let task = 2;
  let run: ComparisonRun | null = null;
  let t = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  let rerun: ReturnType<typeof setTimeout> | null = null;

  const sliders = {
    alpha: slider({ id: 'in-alpha', label: 'α', min: 0.1, max: 10, step: 0.1, value: settings.alpha, hint: 'optimism, eq. (3.2)' }, (v) =>
      changed('alpha', v),
    ),
    beta: slider({ id: 'in-beta', label: 'β', min: 0.05, max: 2, step: 0.05, value: settings.beta, hint: 'KL strength, eq. (2.3)' }, (v) =>
      changed('beta', v),
    ),
    iterations: slider(
      { id: 'in-iterations', label: 'T', min: 1, max: 8, step: 1, value: settings.iterations, hint: 'iterations of Algorithm 1' },
      (v) => changed('iterations', v),
    ),
    seed: slider({ id: 'in-seed', label: 'seed', min: 0, max: 99, step: 1, value: settings.seed, hint: 'world, labels, samples' }, (v) =>
      changed('seed', v),
    ),
  };
  const taskSelect = h('select', { id: 'task-select' });
  for (let g = 0; g < 4; g++) taskSelect.append(h('option', { attrs: { value: g } }, `task ${g}`));
  taskSelect.value = String(task);
  const play = h('button', { id: 'play', attrs: { type: 'button' } }, 'Play');
  const step = h('button', { id: 'step', attrs: { type: 'button' } }, 'Step');
  const reset = h('button', { id: 'reset', class: 'secondary', attrs: { type: 'button' } }, 'Reset');
  const status = h('p', { class: 'status', id: 'stepper-status', attrs: { role: 'status' } }, 'Training…');
  const view = h('div', { id: 'stepper-view' });
  root.append(
    h(
      'div',
      { class: 'controls' },
      ...Object.values(sliders).map((s) => s.label),
      h('label', { class: 'slider', attrs: { for: 'task-select' } }, h('span', { class: 'name' }, 'prompt shown'), taskSelect),
    ),
    h('div', { class: 'controls buttons' }, play, step, reset),
    status,
    view,
  );

  function changed(key: keyof BanditSettings, value: number): void {
    settings[key] = value;
    root.dataset.state = 'stale';
    view.classList.add('stale');
    status.textContent = `Settings changed (${key} = ${value}): the results below are for the old settings until the re-run finishes.`;
    if (rerun) clearTimeout(rerun);
    rerun = setTimeout(() => void train(), 250);
  }
  async function train(): Promise<void> {
    rerun = null;
    stop();
    await nextFrame();
    try {
      const started = performance.now();
      run = await runComparison({ ...settings });
      t = Math.min(t, settings.iterations);
      status.textContent = `Trained ${run.methods.map((m) => m.name).join(' and ')} for T = ${settings.iterations} iterations in ${(performance.now() - started).toFixed(0)} ms (α = ${settings.alpha}, β = ${settings.beta}, seed ${settings.seed}). Step through them.`;
      view.classList.remove('stale');
      root.dataset.state = 'done';
      render();
    } catch (e) {
      status.textContent = `Could not run: ${e instanceof Error ? e.message : String(e)}`;
      root.dataset.state = 'error';
    }
  }
  function render(): void {
    if (!run) return;
    root.dataset.t = String(t);
    step.disabled = t >= run.settings.iterations;
    view.replaceChildren(renderIteration(run, t, task));
    onState({ run, t, task });
  }
  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
    play.textContent = 'Play';
  }
  play.addEventListener('click', () => {
    if (timer) return stop();
    if (!run) return;
    if (t >= run.settings.iterations) t = 0;
    play.textContent = 'Pause';
    timer = setInterval(() => {
      if (!run || t >= run.settings.iterations) return stop();
      t++;
      render();
    }, 700);
  });
  step.addEventListener('click', () => {
    stop();
    if (run && t < run.settings.iterations) t++;
    render();
  });
  reset.addEventListener('click', () => {
    stop();
    t = 0;
    render();
  });
  taskSelect.addEventListener('change', () => {
    task = Number(taskSelect.value);
    render();
  });
  void train();
  return {
    showSeed(seed: number) {
      settings.seed = seed;
      sliders.seed.set(seed);
      root.scrollIntoView({ behavior: 'smooth' });
      void train();
    },
  };
}

function renderIteration(run: ComparisonRun, t: number, task: number): HTMLElement {
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
  const dist = distributionChart(rewards, series, `Task ${task} after iteration ${t}: π(y|x)`);
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
    t === 0
      ? h(
          'p',
          {},
          'Press Step to run iteration 1: take the first portion D_1 of the preference data, sample y_ref from π_ref for each prompt, rank, train.',
        )
      : steps(run, t, task),
    h('div', { class: 'side-by-side' }, scrollBox('scroll-x', curve), scrollBox('table-scroll', curveTable)),
    scrollBox('scroll-x', dist),
    h('p', { class: 'scroll-hint' }, '← the chart scrolls sideways →'),
    h('details', {}, h('summary', {}, 'The chart’s values as a table'), scrollBox('table-scroll', distTable)),
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
      h('li', {}, `Step 4: train on the new pairs with loss (3.2) (α = 0 for DPO), then π_ref ← πθ_${t}.`),
    ),
    ...run.methods.map(tableOf),
  );
}
