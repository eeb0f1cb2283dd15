/**
 * "Why explore?": sliders for α, β, T and the seed; Run trains SELM and iterative DPO (α = 0) with Algorithm 1
 * on the bandit world, then shows mean r* per iteration and the three policies over one prompt's responses.
 */
import { PRESETS, responseProbabilities, runBanditComparison, DEFAULT_SETTINGS, type BanditComparison, type BanditSettings } from './bandit-run.js';
import { COLORS, distributionChart, rewardCurveChart } from './charts.js';
import { fmt, h, nextFrame, signed } from './dom.js';

interface Slider {
  key: keyof BanditSettings;
  label: string;
  min: number;
  max: number;
  step: number;
  hint: string;
}

const SLIDERS: readonly Slider[] = [
  { key: 'alpha', label: 'α', min: 0.1, max: 10, step: 0.1, hint: 'optimism, eq. (3.2)' },
  { key: 'beta', label: 'β', min: 0.05, max: 2, step: 0.05, hint: 'KL strength, eq. (2.3)' },
  { key: 'iterations', label: 'T', min: 1, max: 8, step: 1, hint: 'iterations of Algorithm 1' },
  { key: 'seed', label: 'seed', min: 0, max: 99, step: 1, hint: 'world, labels, samples' },
];

export function mountBanditPanel(root: HTMLElement): void {
  const settings: BanditSettings = { ...DEFAULT_SETTINGS };
  const controls = h('div', { class: 'controls' });
  const inputs = new Map<keyof BanditSettings, [HTMLInputElement, HTMLOutputElement]>();
  for (const s of SLIDERS) {
    const output = h('output', { id: `out-${s.key}` }, String(settings[s.key]));
    const input = h('input', { id: `in-${s.key}`, attrs: { type: 'range', min: s.min, max: s.max, step: s.step, value: settings[s.key] } });
    input.addEventListener('input', () => {
      settings[s.key] = Number(input.value);
      output.textContent = input.value;
    });
    inputs.set(s.key, [input, output]);
    controls.append(h('label', { class: 'slider', attrs: { for: input.id } }, h('span', { class: 'name' }, s.label, ' = ', output), input, h('span', { class: 'hint' }, s.hint)));
  }
  const button = h('button', { id: 'run-bandit', attrs: { type: 'button' } }, 'Run SELM and DPO');
  controls.append(button);
  const presets = h('p', { class: 'presets' }, 'Or start from: ');
  const status = h('p', { class: 'status', id: 'bandit-status', attrs: { role: 'status' } }, 'Press Run: both methods train in this tab, in well under a second.');
  const results = h('div', { id: 'bandit-results' });
  root.append(controls, presets, status, results);

  const run = async (task: number): Promise<void> => {
    button.disabled = true;
    status.textContent = 'Training…';
    await nextFrame();
    try {
      const started = performance.now();
      const comparison = await runBanditComparison({ ...settings });
      const ms = performance.now() - started;
      results.replaceChildren(renderResults(comparison, task));
      status.textContent = `Done in ${ms.toFixed(0)} ms: ${comparison.world.preferences.length} preference triples split over ${comparison.settings.iterations} iterations, for each method; expectations are exact sums over the ${comparison.world.config.responses} responses.`;
      root.dataset.state = 'done';
    } catch (e) {
      status.textContent = `Could not run: ${e instanceof Error ? e.message : String(e)}`;
      root.dataset.state = 'error';
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => void run(0));
  PRESETS.forEach((preset, i) => {
    const b = h('button', { class: 'link', attrs: { type: 'button', 'data-preset': i } }, preset.label);
    const s = preset.settings;
    b.title = `α = ${s.alpha}, β = ${s.beta}, T = ${s.iterations}, seed ${s.seed}; charts show task ${preset.task}`;
    b.addEventListener('click', () => {
      for (const [key, [input, output]] of inputs) {
        settings[key] = s[key];
        input.value = String(s[key]);
        output.textContent = input.value;
      }
      void run(preset.task);
    });
    presets.append(i > 0 ? ' · ' : '', b, ` (${b.title.split(';')[0]})`);
  });
}

function renderResults(run: BanditComparison, task: number): HTMLElement {
  const { dpo, selm } = run;
  const rows = dpo.meanReward.map((d, t) => {
    const s = selm.meanReward[t]!;
    return h(
      'tr',
      { attrs: { 'data-iteration': t } },
      h('td', {}, t === 0 ? '0 (π_SFT)' : String(t)),
      h('td', { class: 'num' }, fmt(d)),
      h('td', { class: 'num' }, fmt(s)),
      h('td', { class: `num ${s - d > 0 ? 'up' : s - d < 0 ? 'down' : ''}` }, t === 0 ? '' : signed(s - d)),
    );
  });
  const table = h(
    'table',
    { id: 'rstar-table' },
    h('caption', {}, `Mean r* on held-out prompts, exact over y ~ π. DPO: α = 0; SELM: α = ${run.settings.alpha}.`),
    h('thead', {}, h('tr', {}, h('th', {}, 'iteration t'), h('th', {}, 'DPO'), h('th', {}, 'SELM'), h('th', {}, 'SELM − DPO'))),
    h('tbody', {}, ...rows),
    h('tfoot', {}, h('tr', {}, h('td', {}, 'best possible'), h('td', { class: 'num', attrs: { colspan: 2 } }, fmt(run.bestReward)), h('td', {}))),
  );
  const curve = rewardCurveChart(
    [
      { label: 'DPO', color: COLORS.dpo, values: dpo.meanReward },
      { label: 'SELM', color: COLORS.selm, values: selm.meanReward },
    ],
    run.bestReward,
  );

  const charts = h('div', { id: 'bandit-charts' });
  const select = h('select', { id: 'task-select' });
  for (let g = 0; g < run.world.config.tasks; g++) select.append(h('option', { attrs: { value: g } }, `prompt of task ${g}`));
  select.value = String(task);
  const draw = (): void => charts.replaceChildren(...policyCharts(run, Number(select.value)));
  select.addEventListener('change', draw);
  draw();

  return h(
    'div',
    {},
    h('div', { class: 'side-by-side' }, table, curve),
    h('h3', {}, 'Where each policy puts its mass on one prompt ', select),
    h(
      'p',
      { class: 'legend' },
      'Bars: π(y|x), on one 0–1 scale. Dashed line: the true reward r*(x, y), right axis; ',
      h('span', { class: 'best' }, '★'),
      ' is the best response. The better hill is every y with r* > 1.',
    ),
    charts,
    h(
      'p',
      { class: 'note' },
      'What to look for. The optimism term favours responses with a high implicit reward r̂ (eq. 3.3), and r̂ is high where training has already raised π. ',
      'So with mild α, SELM mostly sharpens the hill the data favour, faster than DPO. ',
      'With strong optimism it leaves that hill (its mean r* first dips) and can find the better one: try the "strong optimism" preset above.',
    ),
  );
}

function policyCharts(run: BanditComparison, task: number): SVGSVGElement[] {
  const rewards = run.world.rewards[task]!;
  const best = Math.max(...rewards);
  const T = run.settings.iterations;
  const entries = [
    { name: 'ref', title: 'π_ref = π_SFT, where both runs start', color: COLORS.ref, probs: responseProbabilities(run.sft, task) },
    { name: 'dpo', title: `π_DPO after T = ${T}`, color: COLORS.dpo, probs: responseProbabilities(run.dpo.policy, task) },
    { name: 'selm', title: `π_SELM after T = ${T} (α = ${run.settings.alpha})`, color: COLORS.selm, probs: responseProbabilities(run.selm.policy, task) },
  ];
  return entries.map((e) => {
    const expected = e.probs.reduce((a, p, k) => a + p * rewards[k]!, 0);
    // The better hill: responses whose r* beats the top of the demonstrations' hill (height 1, bandit.ts).
    const far = e.probs.reduce((a, p, k) => a + (rewards[k]! > 1 ? p : 0), 0);
    const bestMass = e.probs.reduce((a, p, k) => a + (rewards[k] === best ? p : 0), 0);
    return distributionChart({ ...e, rewards, note: `E[r*] = ${fmt(expected)} · on the better hill: ${fmt(far, 2)} · on ★: ${fmt(bestMass, 2)}` });
  });
}
