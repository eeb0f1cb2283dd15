/**
 * Algorithm 1 step by step (after TensorFlow Playground's Play / Step / Reset): DPO, SELM and the DPO* and
 * tempered-y_ref controls, from the same π_SFT and seed, in the table or the smooth world, iteration by
 * iteration, with what steps 2-4 did to one task's prompts. Results follow the controls live (re-run shortly
 * after a change, marked stale meanwhile). DPO*'s budget is tuned on separate seeds once per (world, β, T) and
 * kept. The settings shown here are also the seeds panel's. Data: web/comparison.ts.
 */
import { COLORS, distributionChart, methodColor, rewardCurveChart } from './charts.js';
import {
  DEFAULT_COMPARISON,
  LEARNING_RATES,
  TUNING_SEEDS,
  runComparison,
  tuneDpoStar,
  type ComparisonRun,
  type ComparisonSettings,
  type DpoStarTuning,
  type MethodTrace,
  type TripleRecord,
} from './comparison.js';
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
  /** The settings of the controls, with DPO*'s budget tuned (waits for the tuning when it is under way). */
  settings(): Promise<ComparisonSettings>;
  /** Called whenever a control changes. */
  onChange(listener: () => void): void;
}

/** What the page lets the learner choose; `settings()` turns it into a ComparisonSettings. */
interface Choices extends Omit<ComparisonSettings, 'dpoStarLearningRate' | 'temperature'> {
  width: number;
  smooth: boolean;
  dpoStar: boolean;
  tempered: boolean;
  tau: number;
}

const TEMPERATURES = [1.5, 2, 3];

function select(id: string, options: readonly (readonly [string, string])[], value: string): HTMLSelectElement {
  const el = h('select', { id });
  for (const [v, text] of options) el.append(h('option', { attrs: { value: v } }, text));
  el.value = value;
  return el;
}

function labelled(id: string, name: string, control: HTMLElement, hint: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'slider', attrs: { for: id } },
    h('span', { class: 'name' }, name),
    control,
    h('span', { class: 'hint' }, hint),
  );
}

function checkbox(id: string, checked: boolean, text: string, color: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { id, attrs: { type: 'checkbox' } });
  input.checked = checked;
  return { label: h('label', { class: 'check', attrs: { for: id, style: `color:${color}` } }, input, ` ${text}`), input };
}

export function mountStepperPanel(root: HTMLElement, onState: (state: StepperState) => void): StepperHandle {
  const d = DEFAULT_COMPARISON;
  const c: Choices = {
    ...d,
    width: d.featureWidth || 2,
    smooth: d.featureWidth > 0,
    dpoStar: true,
    tempered: true,
    tau: d.temperature ?? 2,
  };
  let task = 0;
  let run: ComparisonRun | null = null;
  let t = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  let rerun: ReturnType<typeof setTimeout> | null = null;
  let generation = 0;
  const listeners: (() => void)[] = [];
  const tunings = new Map<string, Promise<DpoStarTuning>>();
  const tuned = new Map<string, DpoStarTuning>();

  const status = h('p', { class: 'status', id: 'stepper-status', attrs: { role: 'status' } }, 'Training…');
  const tuningKey = (s: Pick<ComparisonSettings, 'featureWidth' | 'beta' | 'iterations'>): string =>
    `${s.featureWidth}/${s.beta}/${s.iterations}`;
  function tuning(s: ComparisonSettings): Promise<DpoStarTuning> {
    const key = tuningKey(s);
    let p = tunings.get(key);
    if (!p) {
      p = tuneDpoStar(s, {
        between: nextFrame,
        onProgress: (f) => {
          if (root.dataset.state === 'tuning')
            status.textContent = `Tuning DPO*’s budget on tuning seeds ${TUNING_SEEDS[0]}–${TUNING_SEEDS.at(-1)}: ${Math.round(f * TUNING_SEEDS.length)} of ${TUNING_SEEDS.length} seeds…`;
        },
      }).then((r) => {
        tuned.set(key, r);
        return r;
      });
      tunings.set(key, p);
    }
    return p;
  }
  const base = (): ComparisonSettings => ({
    alpha: c.alpha,
    beta: c.beta,
    iterations: c.iterations,
    seed: c.seed,
    featureWidth: c.smooth ? c.width : 0,
    learningRate: c.learningRate,
    dpoStarLearningRate: null,
    temperature: c.tempered ? c.tau : null,
  });
  async function settings(): Promise<ComparisonSettings> {
    const s = base();
    return c.dpoStar ? { ...s, dpoStarLearningRate: (await tuning(s)).learningRate } : s;
  }

  const sliders = {
    alpha: slider({ id: 'in-alpha', label: 'α', min: 0.1, max: 10, step: 0.1, value: c.alpha, hint: 'optimism, eq. (3.2)' }, (v) =>
      changed('alpha', v),
    ),
    beta: slider({ id: 'in-beta', label: 'β', min: 0.05, max: 2, step: 0.05, value: c.beta, hint: 'KL strength, eq. (2.3)' }, (v) =>
      changed('beta', v),
    ),
    iterations: slider(
      { id: 'in-iterations', label: 'T', min: 1, max: 8, step: 1, value: c.iterations, hint: 'iterations of Algorithm 1' },
      (v) => changed('iterations', v),
    ),
    seed: slider({ id: 'in-seed', label: 'seed', min: 0, max: 99, step: 1, value: c.seed, hint: 'world, labels, samples' }, (v) =>
      changed('seed', v),
    ),
  };
  const world = select(
    'in-world',
    [
      ['table', 'table (no generalisation)'],
      ['smooth', 'smooth (RBF features)'],
    ],
    c.smooth ? 'smooth' : 'table',
  );
  const width = slider(
    { id: 'in-width', label: 'feature width', min: 0.5, max: 3, step: 0.5, value: c.width, hint: 'responses one update reaches' },
    (v) => changed('width', v),
  );
  const budget = select(
    'in-budget',
    LEARNING_RATES.map((lr) => [String(lr), `lr ${lr}`] as const),
    String(c.learningRate),
  );
  const dpoStar = checkbox('in-dpostar', c.dpoStar, 'DPO* (budget tuned)', methodColor('DPO*'));
  const tempered = checkbox('in-tempered', c.tempered, 'tempered y_ref', methodColor('tempered y_ref'));
  const tau = select(
    'in-tau',
    TEMPERATURES.map((v) => [String(v), `τ = ${v}`] as const),
    String(c.tau),
  );
  const taskSelect = select(
    'task-select',
    [0, 1, 2, 3].map((g) => [String(g), `task ${g}`] as const),
    String(task),
  );
  const play = h('button', { id: 'play', attrs: { type: 'button' } }, 'Play');
  const step = h('button', { id: 'step', attrs: { type: 'button' } }, 'Step');
  const reset = h('button', { id: 'reset', class: 'secondary', attrs: { type: 'button' } }, 'Reset');
  const worldNote = h('p', { class: 'note', id: 'world-note' });
  const view = h('div', { id: 'stepper-view' });
  root.append(
    h(
      'div',
      { class: 'controls' },
      labelled('in-world', 'world', world, 'how the policy generalises'),
      width.label,
      labelled('in-budget', 'budget', budget, 'learning rate per iteration (4 epochs)'),
      ...Object.values(sliders).map((s) => s.label),
    ),
    h(
      'fieldset',
      { class: 'controls methods' },
      h('legend', {}, 'Controls beside DPO and SELM'),
      dpoStar.label,
      tempered.label,
      labelled('in-tau', 'y_ref temperature', tau, 'tempered control only'),
    ),
    worldNote,
    h('div', { class: 'controls buttons' }, play, step, reset, labelled('task-select', 'prompt shown', taskSelect, 'one of the 4 tasks')),
    status,
    view,
  );
  const describeWorld = (): void => {
    width.input.disabled = !c.smooth;
    worldNote.textContent = c.smooth
      ? `Smooth world: logits = log π_SFT + Φθ, with Gaussian features of width ${c.width} responses. A step that lifts one response also lifts its neighbours, so SELM’s optimism can favour the unseen responses next to ones with a high implicit reward: Figure 1’s picture.`
      : 'Table world: every response has a logit of its own. A DPO step moves only y_w’s and y_l’s logits, so all unseen responses keep one common ratio πθ/π_ref and one common r̂; optimism cannot favour one of them over another, and acts much like a larger step.';
  };
  describeWorld();

  function changed(key: 'alpha' | 'beta' | 'iterations' | 'seed' | 'width' | 'learningRate' | 'tau', value: number): void {
    c[key] = value;
    invalidate(`${key} = ${value}`);
  }
  function invalidate(what: string): void {
    describeWorld();
    root.dataset.state = 'stale';
    view.classList.add('stale');
    status.textContent = `Settings changed (${what}): the results below are for the old settings until the re-run finishes.`;
    for (const l of listeners) l();
    if (rerun) clearTimeout(rerun);
    rerun = setTimeout(() => void train(), 250);
  }
  world.addEventListener('change', () => {
    c.smooth = world.value === 'smooth';
    invalidate(`world = ${world.value}`);
  });
  budget.addEventListener('change', () => changed('learningRate', Number(budget.value)));
  tau.addEventListener('change', () => changed('tau', Number(tau.value)));
  dpoStar.input.addEventListener('change', () => {
    c.dpoStar = dpoStar.input.checked;
    invalidate(`DPO* ${c.dpoStar ? 'on' : 'off'}`);
  });
  tempered.input.addEventListener('change', () => {
    c.tempered = tempered.input.checked;
    invalidate(`tempered y_ref ${c.tempered ? 'on' : 'off'}`);
  });

  /** Runs the comparison for `full` and shows it (unless a newer run has started). */
  function show(full: ComparisonSettings, mine: number, note: string): boolean {
    const ranAt = performance.now();
    const next = runComparison(full);
    if (mine !== generation) return false;
    run = next;
    t = Math.min(t, full.iterations);
    const ms = performance.now() - ranAt;
    status.textContent = `Trained ${run.methods.map((m) => m.name).join(', ')} for T = ${full.iterations} iterations in ${ms.toFixed(0)} ms: ${full.featureWidth > 0 ? `smooth world, width ${full.featureWidth}` : 'table world'}, α = ${full.alpha}, β = ${full.beta}, budget lr ${full.learningRate}, seed ${full.seed}. ${note}`;
    view.classList.remove('stale');
    root.dataset.dpostarLr = String(full.dpoStarLearningRate ?? '');
    root.dataset.runMs = ms.toFixed(0);
    render();
    return true;
  }
  async function train(): Promise<void> {
    rerun = null;
    const mine = ++generation;
    stop();
    await nextFrame();
    try {
      const s = base();
      if (c.dpoStar && !tuned.has(tuningKey(s))) {
        // DPO, SELM and tempered y_ref first (about 0.1 s), DPO* once its budget is tuned (seconds).
        if (!show(s, mine, 'DPO* follows once its budget is tuned.')) return;
        root.dataset.state = 'tuning';
        const started = performance.now();
        await tuning(s);
        if (mine !== generation) return;
        root.dataset.tuningMs = (performance.now() - started).toFixed(0);
      }
      const full = await settings();
      if (mine !== generation) return;
      if (!show(full, mine, 'Step through them.')) return;
      root.dataset.state = 'done';
    } catch (e) {
      status.textContent = `Could not run: ${e instanceof Error ? e.message : String(e)}`;
      root.dataset.state = 'error';
    }
  }
  function render(): void {
    if (!run) return;
    root.dataset.t = String(t);
    step.disabled = t >= run.settings.iterations;
    view.replaceChildren(renderIteration(run, t, task, tuned.get(tuningKey(run.settings)) ?? null));
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
      // At the last iteration the button reads Play again at once (it restarts from t = 0).
      if (t >= run.settings.iterations) stop();
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
      c.seed = seed;
      sliders.seed.set(seed);
      root.scrollIntoView({ behavior: 'smooth' });
      void train();
    },
    settings,
    onChange(listener) {
      listeners.push(listener);
    },
  };
}

function renderIteration(run: ComparisonRun, t: number, task: number, tuning: DpoStarTuning | null): HTMLElement {
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
  const worldName = run.settings.featureWidth > 0 ? `smooth world (width ${run.settings.featureWidth})` : 'table world';
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
