/**
 * The page's two charts, as plain inline SVG (vega-lite would add about a megabyte to the bundle for two
 * pictures): a policy's distribution over the bandit's responses with r* drawn over it (Figure 1's picture),
 * and mean r* per iteration of Algorithm 1 for two methods.
 */
import { fmt, svg } from './dom.js';

export const COLORS = { ref: '#9aa3ad', dpo: '#4c78a8', selm: '#f58518', reward: '#2d3436', best: '#2e9e5b' } as const;

export interface DistributionChartOptions {
  /** π(y|x) for each response y; sums to 1. */
  probs: readonly number[];
  /** r*(x, y) for each response y. */
  rewards: readonly number[];
  color: string;
  /** Heading inside the chart, left. */
  title: string;
  /** Summary inside the chart, right. */
  note: string;
  /** Marks the bars' group for tests and assistive tech. */
  name: string;
}

const W = 760;

/**
 * Bars of π(·|x) on a fixed 0-1 scale (so the three policies compare by eye), r* as a dark line with dots on
 * its own axis at the right, and the best response starred.
 */
export function distributionChart(o: DistributionChartOptions): SVGSVGElement {
  const H = 140;
  const m = { left: 36, right: 48, top: 26, bottom: 22 };
  const K = o.probs.length;
  const plotW = W - m.left - m.right;
  const plotH = H - m.top - m.bottom;
  const band = plotW / K;
  const rMax = Math.max(...o.rewards, 1e-9);
  const best = o.rewards.indexOf(Math.max(...o.rewards));
  const yP = (p: number): number => m.top + plotH * (1 - p);
  const yR = (r: number): number => m.top + plotH * (1 - r / rMax);
  const xC = (k: number): number => m.left + band * (k + 0.5);

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': `${o.title}: ${o.note}`, class: 'chart', 'data-policy': o.name });
  // Grid and left axis (probability).
  for (const p of [0, 0.5, 1]) {
    root.append(
      svg('line', { x1: m.left, x2: W - m.right, y1: yP(p), y2: yP(p), stroke: '#e3e6ea', 'stroke-width': 1 }),
      svg('text', { x: m.left - 6, y: yP(p) + 4, 'text-anchor': 'end', class: 'tick' }, p.toFixed(1)),
    );
  }
  // Right axis (r*): the reward's scale, labelled at its ends.
  for (const r of [0, rMax]) root.append(svg('text', { x: W - m.right + 6, y: yR(r) + 4, class: 'tick reward' }, `${fmt(r, 1)}${r > 0 ? ' r*' : ''}`));
  // Bars.
  const bars = svg('g', { class: 'bars' });
  o.probs.forEach((p, k) => {
    const y = yP(p);
    const rect = svg('rect', { x: m.left + band * k + band * 0.15, y, width: band * 0.7, height: Math.max(0, yP(0) - y), fill: o.color, 'data-prob': p });
    rect.append(svg('title', {}, `y${k}: π = ${fmt(p)}, r* = ${fmt(o.rewards[k]!, 2)}`));
    bars.append(rect);
    if (p >= 0.1) bars.append(svg('text', { x: xC(k), y: y - 3, 'text-anchor': 'middle', class: 'barlabel' }, fmt(p, 2)));
  });
  root.append(bars);
  // r* as a line with dots over the bars.
  const points = o.rewards.map((r, k) => `${xC(k)},${yR(r)}`).join(' ');
  root.append(svg('polyline', { points, fill: 'none', stroke: COLORS.reward, 'stroke-width': 1.5, 'stroke-dasharray': '4 3', opacity: 0.8 }));
  o.rewards.forEach((r, k) => root.append(svg('circle', { cx: xC(k), cy: yR(r), r: k === best ? 4.5 : 2.5, fill: k === best ? COLORS.best : COLORS.reward })));
  // x labels, the best response starred.
  for (let k = 0; k < K; k++) {
    root.append(svg('text', { x: xC(k), y: H - m.bottom + 15, 'text-anchor': 'middle', class: k === best ? 'tick best' : 'tick' }, k === best ? `★y${k}` : `y${k}`));
  }
  root.append(svg('text', { x: m.left, y: 13, class: 'charttitle' }, o.title));
  root.append(svg('text', { x: W - m.right, y: 13, 'text-anchor': 'end', class: 'chartnote' }, o.note));
  return root;
}

export interface Series {
  label: string;
  color: string;
  /** Values at iterations 0..T. */
  values: readonly number[];
}

/** Mean r* per iteration, one line per method, with the best achievable r* as a dashed ceiling. */
export function rewardCurveChart(series: readonly Series[], best: number): SVGSVGElement {
  const w = 340;
  const H = 190;
  const m = { left: 40, right: 64, top: 18, bottom: 30 };
  const T = Math.max(...series.map((s) => s.values.length - 1), 1);
  const all = series.flatMap((s) => [...s.values]);
  const lo = Math.floor(Math.min(...all) * 10) / 10;
  const hi = Math.max(...all);
  const span = Math.max(hi - lo, 0.05);
  const x = (t: number): number => m.left + ((w - m.left - m.right) * t) / T;
  const y = (v: number): number => m.top + (H - m.top - m.bottom) * (1 - (v - lo) / (span * 1.1));
  const root = svg('svg', { viewBox: `0 0 ${w} ${H}`, width: w, role: 'img', 'aria-label': 'mean r* per iteration', class: 'chart curve' });
  for (const v of [lo, lo + span / 2, lo + span]) {
    root.append(svg('line', { x1: m.left, x2: w - m.right, y1: y(v), y2: y(v), stroke: '#e3e6ea' }), svg('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(v, 2)));
  }
  root.append(svg('text', { x: m.left - 6, y: m.top - 4, 'text-anchor': 'end', class: 'tick' }, 'r*'));
  for (let t = 0; t <= T; t++) root.append(svg('text', { x: x(t), y: H - m.bottom + 14, 'text-anchor': 'middle', class: 'tick' }, t));
  root.append(svg('text', { x: (m.left + w - m.right) / 2, y: H - 3, 'text-anchor': 'middle', class: 'tick' }, 'iteration t'));
  if (best <= lo + span * 1.1) root.append(svg('line', { x1: m.left, x2: w - m.right, y1: y(best), y2: y(best), stroke: COLORS.best, 'stroke-dasharray': '4 3' }));
  for (const s of series) {
    root.append(svg('polyline', { points: s.values.map((v, t) => `${x(t)},${y(v)}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 }));
    s.values.forEach((v, t) => root.append(svg('circle', { cx: x(t), cy: y(v), r: 3, fill: s.color })));
  }
  // End labels, pushed apart when the lines end close together.
  const labels = series.map((s) => ({ s, at: y(s.values[s.values.length - 1]!) + 4 })).sort((a, b) => a.at - b.at);
  for (let i = 1; i < labels.length; i++) labels[i]!.at = Math.max(labels[i]!.at, labels[i - 1]!.at + 12);
  for (const { s, at } of labels) root.append(svg('text', { x: w - m.right + 8, y: at, class: 'tick label', fill: s.color }, s.label));
  return root;
}
