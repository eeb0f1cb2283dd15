/**
 * The page's charts, as plain inline SVG (vega-lite would add about a megabyte to the bundle): mean r* per
 * iteration for every method on a fixed 0-to-best axis, several policies' distributions over one prompt's
 * responses on a square-root scale (so 1 % of mass is visible), and a histogram of final r* over seeds.
 * Every series has one colour everywhere on the page (COLORS, methodColor); every value drawn is also in a
 * visible label or a table beside the chart.
 */
import { fittedEdges } from '../src/lab/summary.js';
import { fmt, svg } from './dom.js';

/** Colours with at least 4.5:1 contrast on white, so they serve for text as well as for marks. */
export const COLORS = {
  ref: '#6b7480',
  dpo: '#2f5d8a',
  selm: '#b35300',
  dpoStar: '#0b7285',
  tempered: '#7a3db8',
  reward: '#1f2933',
  best: '#1e7b45',
  grid: '#e3e6ea',
} as const;

/** The colour of a method by the page's name: DPO, SELM, DPO*, tempered y_ref (web/comparison.ts's METHOD). */
export function methodColor(name: string): string {
  if (name === 'DPO') return COLORS.dpo;
  if (name.startsWith('SELM')) return COLORS.selm;
  if (name === 'DPO*') return COLORS.dpoStar;
  if (name.startsWith('tempered')) return COLORS.tempered;
  return COLORS.ref;
}

/** The controls' lines are dashed (DPO*) or dotted (tempered), so they read apart from DPO and SELM without colour. */
export function methodDash(name: string): string | null {
  if (name === 'DPO*') return '7 4';
  if (name.startsWith('tempered')) return '2 3';
  return null;
}

export interface Series {
  label: string;
  color: string;
  /** Values at iterations 0..T (shorter: drawn up to where they end). */
  values: readonly number[];
}

/** Mean r* per iteration, one line per method, on an axis from 0 to the best possible r*, which is drawn. */
export function rewardCurveChart(series: readonly Series[], best: number, iterations: number, current?: number): SVGSVGElement {
  const w = 480;
  const H = 230;
  const m = { left: 44, right: 118, top: 16, bottom: 36 };
  const T = Math.max(iterations, 1);
  const x = (t: number): number => m.left + ((w - m.left - m.right) * t) / T;
  const y = (v: number): number => m.top + (H - m.top - m.bottom) * (1 - v / best);
  const root = svg('svg', {
    viewBox: `0 0 ${w} ${H}`,
    class: 'chart curve',
    role: 'img',
    'aria-label': `Mean r* per iteration, 0 to the best possible ${fmt(best, 1)}: ${series.map((s) => `${s.label} ${s.values.map((v) => fmt(v, 2)).join(', ')}`).join('; ')}`,
  });
  for (const v of [0, best / 2, best]) {
    root.append(
      svg('line', { x1: m.left, x2: w - m.right, y1: y(v), y2: y(v), stroke: COLORS.grid }),
      svg('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(v, 1)),
    );
  }
  root.append(
    svg('line', {
      x1: m.left,
      x2: w - m.right,
      y1: y(best),
      y2: y(best),
      stroke: COLORS.best,
      'stroke-width': 1.5,
      'stroke-dasharray': '5 3',
    }),
  );
  root.append(svg('text', { x: w - m.right + 6, y: y(best) + 4, style: `fill:${COLORS.best}`, class: 'tick strong' }, 'best'));
  root.append(svg('text', { x: 4, y: m.top + 4, class: 'tick' }, 'r*'));
  for (let t = 0; t <= T; t++) root.append(svg('text', { x: x(t), y: H - m.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, t));
  root.append(
    svg('text', { x: (m.left + w - m.right) / 2, y: H - 4, 'text-anchor': 'middle', class: 'tick' }, 'iteration t of Algorithm 1'),
  );
  if (current !== undefined)
    root.append(svg('line', { x1: x(current), x2: x(current), y1: m.top, y2: H - m.bottom, stroke: '#9aa3ad', 'stroke-dasharray': '2 3' }));
  for (const s of series) {
    const dash = methodDash(s.label);
    root.append(
      svg('polyline', {
        points: s.values.map((v, t) => `${x(t)},${y(v)}`).join(' '),
        fill: 'none',
        stroke: s.color,
        'stroke-width': 2.5,
        ...(dash ? { 'stroke-dasharray': dash } : {}),
      }),
    );
    s.values.forEach((v, t) => root.append(svg('circle', { cx: x(t), cy: y(v), r: 3.5, fill: s.color })));
  }
  // End labels in the series' colour, pushed apart when the lines end close together.
  const labels = series.map((s) => ({ s, at: y(s.values[s.values.length - 1] ?? 0) + 4 })).sort((a, b) => a.at - b.at);
  for (let i = 1; i < labels.length; i++) labels[i]!.at = Math.max(labels[i]!.at, labels[i - 1]!.at + 14);
  for (const { s, at } of labels) {
    const last = s.values.length - 1;
    root.append(svg('text', { x: x(last) + 7, y: at, style: `fill:${s.color}`, class: 'tick strong' }, s.label));
  }
  return root;
}

export interface PolicySeries {
  name: string;
  label: string;
  color: string;
  probs: readonly number[];
}

/**
 * Several policies over one prompt's K responses, bars side by side on a square-root scale (mass of 0.01
 * shows as a tenth of the height), with r* drawn as a strip of its own above the bars so nothing overlaps.
 */
export function distributionChart(rewards: readonly number[], series: readonly PolicySeries[], title: string): SVGSVGElement {
  const W = 640;
  const H = 270;
  const m = { left: 40, right: 12, top: 84, bottom: 28 };
  const K = rewards.length;
  const band = (W - m.left - m.right) / K;
  const plotH = H - m.top - m.bottom;
  const rMax = Math.max(...rewards, 1e-9);
  const best = rewards.indexOf(rMax);
  const yP = (p: number): number => m.top + plotH * (1 - Math.sqrt(p));
  const xC = (k: number): number => m.left + band * (k + 0.5);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart dist',
    role: 'img',
    'aria-label': `${title}; the table below gives every value`,
  });
  root.append(svg('text', { x: m.left, y: 14, class: 'charttitle' }, title));
  // Legend in the series' colours, on a line of its own under the title.
  let lx = m.left;
  for (const s of series) {
    root.append(svg('text', { x: lx, y: 34, style: `fill:${s.color}`, class: 'tick strong' }, `■ ${s.label}`));
    lx += 24 + 8.5 * s.label.length;
  }
  // r* strip: dots and a line, 0 to max, between the legend and the bars.
  const yR = (r: number): number => 76 - 28 * (r / rMax);
  root.append(svg('text', { x: m.left - 6, y: yR(rMax) + 4, 'text-anchor': 'end', class: 'tick' }, `r* ${fmt(rMax, 0)}`));
  root.append(
    svg('polyline', {
      points: rewards.map((r, k) => `${xC(k)},${yR(r)}`).join(' '),
      fill: 'none',
      stroke: COLORS.reward,
      'stroke-width': 1.2,
    }),
  );
  rewards.forEach((r, k) =>
    root.append(svg('circle', { cx: xC(k), cy: yR(r), r: k === best ? 4.5 : 2.5, fill: k === best ? COLORS.best : COLORS.reward })),
  );
  for (const p of [0, 0.01, 0.1, 0.5, 1]) {
    root.append(
      svg('line', { x1: m.left, x2: W - m.right, y1: yP(p), y2: yP(p), stroke: COLORS.grid }),
      svg('text', { x: m.left - 6, y: yP(p) + 4, 'text-anchor': 'end', class: 'tick' }, String(p)),
    );
  }
  const barW = (band * 0.8) / Math.max(series.length, 1);
  series.forEach((s, i) => {
    const g = svg('g', { 'data-policy': s.name });
    s.probs.forEach((p, k) => {
      const y = yP(p);
      g.append(
        svg('rect', {
          x: m.left + band * k + band * 0.1 + barW * i,
          y,
          width: barW - 1,
          height: Math.max(0, yP(0) - y),
          fill: s.color,
          'data-prob': p,
        }),
      );
    });
    root.append(g);
  });
  for (let k = 0; k < K; k++)
    root.append(
      svg(
        'text',
        { x: xC(k), y: H - m.bottom + 16, 'text-anchor': 'middle', class: k === best ? 'tick strong best' : 'tick' },
        k === best ? `★y${k}` : `y${k}`,
      ),
    );
  root.append(svg('text', { x: 4, y: H - 4, class: 'tick' }, '√ scale'));
  return root;
}

/**
 * Final mean r* over seeds: one row of bins per method, counts written on the bars. The bins cover the range
 * the values take (src/lab/summary.ts's fittedEdges), so seeds that differ by a few hundredths are not one bar;
 * the axis title gives the best possible r*.
 */
export function histogramChart(
  values: Record<string, readonly number[]>,
  best: number,
  bins: number,
  highlight?: Record<string, number>,
): SVGSVGElement {
  const names = Object.keys(values);
  const edges = fittedEdges(Object.values(values).flat(), bins);
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const W = 560;
  const rowH = 70;
  const m = { left: 112, right: 16, top: 10, bottom: 34 };
  const H = m.top + rowH * names.length + m.bottom;
  const x = (v: number): number => m.left + ((W - m.left - m.right) * (v - lo)) / (hi - lo);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart hist',
    role: 'img',
    'aria-label': 'Histogram of final mean r* over seeds, per method; counts are written on the bars and listed in the table below',
  });
  names.forEach((name, row) => {
    const vs = values[name]!;
    const counts = new Array<number>(bins).fill(0);
    for (const v of vs) counts[Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)))]!++;
    const top = m.top + row * rowH;
    const maxCount = Math.max(...counts, 1);
    const color = methodColor(name);
    root.append(
      svg('text', { x: m.left - 8, y: top + rowH / 2, 'text-anchor': 'end', style: `fill:${color}`, class: 'tick strong' }, name),
    );
    counts.forEach((c, b) => {
      const h = ((rowH - 22) * c) / maxCount;
      const x0 = x(edges[b]!);
      const bw = x(edges[b + 1]!) - x0 - 2;
      root.append(svg('rect', { x: x0 + 1, y: top + rowH - 8 - h, width: bw, height: h, fill: color, 'data-count': c }));
      if (c > 0) root.append(svg('text', { x: x0 + 1 + bw / 2, y: top + rowH - 11 - h, 'text-anchor': 'middle', class: 'tick' }, c));
    });
    const mark = highlight?.[name];
    if (mark !== undefined) root.append(svg('path', { d: `M${x(mark)},${top + rowH - 2} l-5,7 h10 z`, fill: COLORS.reward }));
  });
  const axisY = m.top + rowH * names.length;
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    root.append(svg('text', { x: x(v), y: axisY + 14, 'text-anchor': 'middle', class: 'tick' }, fmt(v, 2)));
  }
  root.append(
    svg(
      'text',
      { x: (m.left + W) / 2, y: H - 3, 'text-anchor': 'middle', class: 'tick' },
      `final mean r* of a seed (the best possible is ${fmt(best, 1)})`,
    ),
  );
  return root;
}
