/**
 * Algorithm 1 step by step (after TensorFlow Playground's Play / Step / Reset): DPO, SELM and the DPO* and
 * tempered-y_ref controls, from the same π_SFT and seed, in the table or the smooth world, iteration by
 * iteration, with what steps 2-4 did to one task's prompts. Results follow the controls live (re-run shortly
 * after a change, marked stale meanwhile). DPO*'s budget is tuned on separate seeds once per (world, β, T) and
 * kept. The settings shown here are also the seeds panel's. Data: web/comparison.ts.
 */
import { methodColor } from './charts.js';
import {
  DEFAULT_COMPARISON,
  LEARNING_RATES,
  TUNING_SEEDS,
  runComparison,
  tuneDpoStar,
  type ComparisonRun,
  type ComparisonSettings,
  type DpoStarTuning,
} from './comparison.js';
import { checkbox, h, labelled, nextFrame, select, slider } from './dom.js';
import { renderIteration } from './stepper-view.js';

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
    // Checked before the run: a synchronous run cannot be overtaken, but a frame awaited before it can.
    if (mine !== generation) return false;
    const ranAt = performance.now();
    const next = runComparison(full);
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
