/**
 * Figure 1, live: the plain reward fit and the optimistic fit of objective (1.1) on a 1-D response axis,
 * computed exactly by src/lab/figure1.ts on every change. The learner drags α and the feature width, adds a
 * labelled pair by clicking the axis (or asks the labeller about y_u), and removes a pair by clicking it.
 */
import {
  FIGURE1_DEFAULTS,
  figure1,
  figure1Grid,
  figure1TrueReward,
  labelPair,
  type Figure1Pair,
  type Figure1Result,
  type Figure1Settings,
} from '../src/lab/figure1.js';
import { COLORS } from './charts.js';
import { fmt, h, slider, svg } from './dom.js';

const M = { left: 40, right: 14, top: 18, bottom: 40 };
const PAIR_COLOR = '#b00020';

export function mountFigure1Panel(root: HTMLElement): void {
  const settings: Figure1Settings = { ...FIGURE1_DEFAULTS, alpha: 0, pairs: [...FIGURE1_DEFAULTS.pairs] };
  const chartBox = h('div', { class: 'figure1-box' });
  const readout = h('div', { id: 'figure1-readout', class: 'readout', attrs: { 'aria-live': 'polite' } });
  const pairsTable = h('div', { class: 'table-scroll', attrs: { tabindex: 0, role: 'region', 'aria-label': 'observed pairs' } });
  const alpha = slider(
    { id: 'f1-alpha', label: 'α', min: 0, max: 5, step: 0.05, value: settings.alpha, hint: 'optimism of (1.1)' },
    (v) => {
      settings.alpha = v;
      schedule();
    },
  );
  const width = slider(
    {
      id: 'f1-width',
      label: 'feature width',
      min: 0.03,
      max: 0.3,
      step: 0.01,
      value: settings.width,
      hint: 'how far one label generalises',
    },
    (v) => {
      settings.width = v;
      schedule();
    },
  );
  const ask = h('button', { id: 'f1-ask', attrs: { type: 'button' } }, 'Ask the labeller about y_u');
  const undo = h('button', { id: 'f1-undo', class: 'secondary', attrs: { type: 'button' } }, 'Remove last pair');
  const reset = h('button', { id: 'f1-reset', class: 'secondary', attrs: { type: 'button' } }, 'Reset pairs');
  root.append(h('div', { class: 'controls' }, alpha.label, width.label, ask, undo, reset), chartBox, readout, pairsTable);

  let result: Figure1Result | null = null;
  let pending = false;
  const draw = (): void => {
    pending = false;
    result = figure1(settings);
    // The drawing's width follows its box (360 to 640 units), so on a phone the text is not scaled down to a speck.
    const W = Math.round(Math.min(640, Math.max(360, chartBox.clientWidth || 640)));
    chartBox.replaceChildren(chart(result, settings, addAt, removeAt, W));
    readout.replaceChildren(...describe(result, settings));
    pairsTable.replaceChildren(pairTable(settings.pairs));
    root.dataset.alpha = String(settings.alpha);
    root.dataset.yu = String(result.grid[result.optimistic.greedy]);
    root.dataset.pairs = String(settings.pairs.length);
  };
  function schedule(): void {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }
  // The incumbent: the best response the labels have shown so far (what a new response is compared with).
  const incumbent = (): number => {
    const chosen = settings.pairs.map((p) => p.chosen);
    return chosen.length === 0 ? 0.25 : chosen.reduce((a, b) => (figure1TrueReward(b) > figure1TrueReward(a) ? b : a));
  };
  function addAt(y: number): void {
    const a = Math.round(y * 80) / 80;
    const b = incumbent();
    if (Math.abs(a - b) < 1e-9) return;
    settings.pairs = [...settings.pairs, labelPair(a, b)];
    schedule();
  }
  function removeAt(index: number): void {
    settings.pairs = settings.pairs.filter((_, i) => i !== index);
    schedule();
  }
  ask.addEventListener('click', () => {
    if (result) addAt(result.grid[result.optimistic.greedy]!);
  });
  undo.addEventListener('click', () => removeAt(settings.pairs.length - 1));
  reset.addEventListener('click', () => {
    settings.pairs = [...FIGURE1_DEFAULTS.pairs];
    schedule();
  });
  draw();
}

function chart(
  result: Figure1Result,
  s: Figure1Settings,
  addAt: (y: number) => void,
  removeAt: (i: number) => void,
  W: number,
): SVGSVGElement {
  const H = W < 500 ? 300 : 330;
  const grid = result.grid;
  const fine = figure1Grid(161);
  const truth = fine.map(figure1TrueReward);
  const all = [...truth, ...result.plain.rewards, ...result.optimistic.rewards];
  const lo = Math.min(-1, Math.floor(Math.min(...all)));
  const hi = Math.max(2.5, Math.ceil(Math.max(...all)));
  const x = (y: number): number => M.left + (W - M.left - M.right) * y;
  const yv = (v: number): number => M.top + (H - M.top - M.bottom) * (1 - (v - lo) / (hi - lo));
  const line = (xs: readonly number[], vs: ArrayLike<number>): string =>
    xs.map((y, i) => `${x(y).toFixed(1)},${yv(vs[i]!).toFixed(1)}`).join(' ');
  const yu = grid[result.optimistic.greedy]!;
  const yPlain = grid[result.plain.greedy]!;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart figure1',
    id: 'figure1-chart',
    role: 'img',
    'aria-label': `Figure 1: true reward with two hills; plain fit peaks at y = ${fmt(yPlain, 2)}; optimistic fit at α = ${s.alpha} peaks at y_u = ${fmt(yu, 2)}. Values are in the text below.`,
  });
  const hit = svg('rect', {
    x: M.left,
    y: M.top,
    width: W - M.left - M.right,
    height: H - M.top - M.bottom,
    fill: 'transparent',
    class: 'hit',
  });
  hit.addEventListener('click', (e) => {
    const box = root.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    addAt(Math.min(1, Math.max(0, (px - M.left) / (W - M.left - M.right))));
  });
  root.append(hit);
  for (let v = lo; v <= hi; v++) {
    root.append(
      svg('line', {
        x1: M.left,
        x2: W - M.right,
        y1: yv(v),
        y2: yv(v),
        stroke: v === 0 ? '#c9ced4' : COLORS.grid,
        'pointer-events': 'none',
      }),
      svg('text', { x: M.left - 6, y: yv(v) + 4, 'text-anchor': 'end', class: 'tick' }, v),
    );
  }
  for (const t of [0, 0.25, 0.5, 0.75, 1])
    root.append(svg('text', { x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, t));
  root.append(
    svg(
      'text',
      { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle', class: 'tick' },
      W < 500 ? 'response y (click: ask about it)' : 'response y (click to ask the labeller about a response)',
    ),
  );
  const pathAttrs = { fill: 'none', 'pointer-events': 'none' };
  root.append(
    svg('polyline', {
      ...pathAttrs,
      points: line(fine, truth),
      stroke: COLORS.reward,
      'stroke-width': 2,
      'stroke-dasharray': '6 4',
      'data-series': 'truth',
    }),
  );
  // The optimistic fit wide and underneath, the plain one narrow on top: at α = 0 both show where they coincide.
  root.append(
    svg('polyline', {
      ...pathAttrs,
      points: line(grid, result.optimistic.rewards),
      stroke: COLORS.selm,
      'stroke-width': 6,
      'stroke-linejoin': 'round',
      'data-series': 'optimistic',
    }),
  );
  root.append(
    svg('polyline', {
      ...pathAttrs,
      points: line(grid, result.plain.rewards),
      stroke: COLORS.dpo,
      'stroke-width': 2.5,
      'data-series': 'plain',
    }),
  );
  // y_u, the optimistic model's greedy response, and the plain model's.
  root.append(
    svg('line', {
      x1: x(yu),
      x2: x(yu),
      y1: M.top,
      y2: H - M.bottom,
      stroke: COLORS.selm,
      'stroke-dasharray': '3 3',
      'pointer-events': 'none',
    }),
  );
  root.append(
    svg(
      'text',
      {
        x: x(yu),
        y: M.top + 12,
        'text-anchor': yu > 0.7 ? 'end' : 'start',
        dx: yu > 0.7 ? -4 : 4,
        style: `fill:${COLORS.selm}`,
        class: 'tick strong',
        id: 'figure1-yu',
      },
      `y_u = ${fmt(yu, 2)}`,
    ),
  );
  // The observed pairs, drawn on r*: ★ chosen, ○ rejected; clicking either removes the pair.
  s.pairs.forEach((p, i) => {
    const g = svg('g', { class: 'pair', 'data-pair': i, tabindex: -1 });
    g.append(svg('title', {}, `pair ${i + 1}: ${fmt(p.chosen, 2)} beat ${fmt(p.rejected, 2)} (click to remove)`));
    g.append(
      svg('line', {
        x1: x(p.chosen),
        y1: yv(figure1TrueReward(p.chosen)),
        x2: x(p.rejected),
        y2: yv(figure1TrueReward(p.rejected)),
        stroke: PAIR_COLOR,
        'stroke-width': 1,
        opacity: 0.6,
      }),
    );
    g.append(
      svg('circle', {
        cx: x(p.rejected),
        cy: yv(figure1TrueReward(p.rejected)),
        r: 5,
        fill: '#fff',
        stroke: PAIR_COLOR,
        'stroke-width': 2,
      }),
    );
    g.append(
      svg(
        'text',
        { x: x(p.chosen), y: yv(figure1TrueReward(p.chosen)) + 6, 'text-anchor': 'middle', class: 'star', style: `fill:${PAIR_COLOR}` },
        '★',
      ),
    );
    g.addEventListener('click', (e) => {
      e.stopPropagation();
      removeAt(i);
    });
    root.append(g);
  });
  return root;
}

function describe(r: Figure1Result, s: Figure1Settings): Node[] {
  const yu = r.grid[r.optimistic.greedy]!;
  const yp = r.grid[r.plain.greedy]!;
  const onData = s.pairs.some((p) => Math.abs(p.chosen - yu) < 0.08 || Math.abs(p.rejected - yu) < 0.08);
  return [
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'key', attrs: { style: `color:${COLORS.reward}` } }, '- - true r*'),
      ' · ',
      h('span', { class: 'key', attrs: { style: `color:${COLORS.dpo}` } }, '— plain fit (α = 0)'),
      ' · ',
      h('span', { class: 'key', attrs: { style: `color:${COLORS.selm}` } }, `— optimistic fit (α = ${s.alpha})`),
      ' · ',
      h('span', { class: 'key', attrs: { style: `color:${PAIR_COLOR}` } }, '★ chosen ○ rejected'),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'plain fit'),
      h(
        'dd',
        { id: 'f1-plain' },
        `L_lr = ${fmt(r.plain.fitLoss, 3)}, max r = ${fmt(r.plain.rewards[r.plain.greedy]!, 2)} at y = ${fmt(yp, 2)}`,
      ),
      h('dt', {}, 'optimistic fit'),
      h(
        'dd',
        { id: 'f1-optimistic' },
        `L_lr = ${fmt(r.optimistic.fitLoss, 3)}, max r = ${fmt(r.optimistic.rewards[r.optimistic.greedy]!, 2)} at y_u = ${fmt(yu, 2)}; (1.1) = ${fmt(r.optimistic.objective, 3)}`,
      ),
      h('dt', {}, 'r*(y_u)'),
      h('dd', {}, `${fmt(figure1TrueReward(yu), 2)} (best possible ${fmt(figure1TrueReward(0.78), 2)})`),
    ),
    h(
      'p',
      { class: 'note', id: 'f1-lesson' },
      s.alpha === 0
        ? 'α = 0: the two fits coincide. The fit is confident only where there are labels and stays near 0 elsewhere, so its greedy response is the hill you already know.'
        : onData
          ? `α = ${s.alpha}: optimism lifts the reward where lifting is cheapest, still on the known hill: y_u has been labelled already. Drag α higher.`
          : `α = ${s.alpha}: the optimistic fit fits the labels as well as the plain one (L_lr ${fmt(r.optimistic.fitLoss, 2)} vs ${fmt(r.plain.fitLoss, 2)}) but lifts the reward where no label constrains it, so y_u = ${fmt(yu, 2)} is a response nobody has labelled. Ask the labeller about it.`,
    ),
  ];
}

function pairTable(pairs: readonly Figure1Pair[]): HTMLTableElement {
  return h(
    'table',
    { id: 'f1-pairs' },
    h('caption', {}, 'Observed pairs: each was shown to 20 labellers who follow the Bradley–Terry model (2.1) of r*.'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, '#'), h('th', {}, 'chosen y_w'), h('th', {}, 'rejected y_l'), h('th', {}, 'share preferring y_w')),
    ),
    h(
      'tbody',
      {},
      ...pairs.map((p, i) =>
        h(
          'tr',
          {},
          h('td', {}, i + 1),
          h('td', { class: 'num' }, fmt(p.chosen, 3)),
          h('td', { class: 'num' }, fmt(p.rejected, 3)),
          h('td', { class: 'num' }, fmt(1 / (1 + Math.exp(figure1TrueReward(p.rejected) - figure1TrueReward(p.chosen))), 2)),
        ),
      ),
    ),
  );
}
