/**
 * Figure 1 of the paper, computed exactly: for one prompt, a reward model r_w(y) = φ(y)·w on a 1-D response
 * axis (radial-basis features of a chosen width) is fitted to observed preference pairs two ways:
 *
 *   plain fit       min_w  L_lr(w) + (λ/2)|w|²
 *   optimistic fit  max_w max_y  α r_w(y) − L_lr(w) − (λ/2)|w|²                    objective (1.1)
 *
 * where L_lr(w) = Σ_i n [p_i (−log σ(Δ_i)) + (1 − p_i)(−log σ(−Δ_i))], Δ_i = r_w(y_w,i) − r_w(y_l,i), is the
 * logistic (Bradley–Terry) reward-fitting loss of eq. (2.2) on n labels per pair, p_i = σ(r*(y_w,i) − r*(y_l,i))
 * of them for y_w (their expected count), summed over the pairs so that more feedback weighs more. The ridge term (λ/2)|w|² is the prior
 * that keeps r near 0 where there is no data; it plays the part the KL term plays in (2.3) and (3.1), and
 * without it (1.1) is unbounded. α = 0 gives the plain fit back.
 *
 * (1.1) is not concave in w (max_y r_w(y) is convex in w), but for each fixed y it is strictly concave, so the
 * joint maximum is found exactly by solving one strictly convex problem per grid response y (Newton's method,
 * the gradient from the engine's backward pass in float64, the Hessian in closed form) and keeping the best.
 * At the joint optimum y is the greedy response y_u = argmax_y r_w(y) of the optimistic model.
 *
 * Browser-safe (no Node imports): the teaching page draws this figure live.
 */
import { add, grad, matmulT, mul, neg, noGrad, softplus, square, sub, sum, tensor, type Tensor } from '../autograd/index.js';

/** An observed preference: response `chosen` beat response `rejected` (positions on the axis, in [0, 1]). */
export interface Figure1Pair {
  chosen: number;
  rejected: number;
}

export interface Figure1Settings {
  /** Optimism coefficient α of (1.1). */
  alpha: number;
  /** Width (standard deviation) of each radial-basis feature, on the [0, 1] response axis. */
  width: number;
  /** Ridge strength λ of the prior (λ/2)|w|². */
  lambda: number;
  /**
   * Labels per pair: each pair is shown to this many labellers who follow the Bradley–Terry model (2.1) of r*,
   * and L_lr counts their expected votes, so the fit pins each pair's reward difference rather than pushing it
   * to infinity (a single hard label would).
   */
  labels: number;
  /** Feature centres, evenly spaced over [0, 1]. */
  centres: number;
  /** Grid responses over [0, 1]: where r is evaluated and where y_u may be. */
  points: number;
  pairs: readonly Figure1Pair[];
}

export const FIGURE1_DEFAULTS: Figure1Settings = {
  alpha: 0,
  width: 0.08,
  lambda: 1,
  labels: 20,
  centres: 13,
  points: 81,
  pairs: [
    { chosen: 0.25, rejected: 0.1 },
    { chosen: 0.3, rejected: 0.42 },
    { chosen: 0.22, rejected: 0.05 },
    { chosen: 0.27, rejected: 0.36 },
  ],
};

/** The true reward of Figure 1: a low hill where the data are (y = 0.25, height 1) and a higher one (y = 0.78, height 2). */
export function figure1TrueReward(y: number): number {
  return Math.exp(-((y - 0.25) ** 2) / (2 * 0.07 ** 2)) + 2 * Math.exp(-((y - 0.78) ** 2) / (2 * 0.06 ** 2));
}

/** The Bradley–Terry probability (2.1) that a labeller prefers response a to b: σ(r*(a) − r*(b)). */
export function preferenceProbability(a: number, b: number): number {
  return 1 / (1 + Math.exp(figure1TrueReward(b) - figure1TrueReward(a)));
}

/** The pair a labeller gives for two responses: the one with the higher true reward is chosen. */
export function labelPair(a: number, b: number): Figure1Pair {
  return figure1TrueReward(a) >= figure1TrueReward(b) ? { chosen: a, rejected: b } : { chosen: b, rejected: a };
}

/** The grid responses y_0..y_{M−1}, evenly over [0, 1]. */
export function figure1Grid(points: number): number[] {
  return Array.from({ length: points }, (_, i) => i / (points - 1));
}

/** φ(y): the radial-basis features exp(−(y − c_j)²/(2 width²)) at evenly spaced centres c_j. */
export function features(y: number, centres: number, width: number): number[] {
  return Array.from({ length: centres }, (_, j) => Math.exp(-((y - j / (centres - 1)) ** 2) / (2 * width * width)));
}

export interface Figure1Fit {
  /** The reward model's weights w. */
  weights: Float64Array;
  /** r_w on the grid. */
  rewards: Float64Array;
  /** Grid index of the greedy response y_u = argmax_y r_w(y). */
  greedy: number;
  /** L_lr(w). */
  fitLoss: number;
  /** The maximised value of (1.1): α max_y r_w(y) − L_lr(w) − (λ/2)|w|². */
  objective: number;
}

export interface Figure1Result {
  grid: number[];
  plain: Figure1Fit;
  optimistic: Figure1Fit;
}

function checkSettings(s: Figure1Settings): void {
  const bad: string[] = [];
  if (!(s.alpha >= 0) || !Number.isFinite(s.alpha)) bad.push(`alpha must be a number >= 0, got ${s.alpha}`);
  if (!(s.width > 0) || !Number.isFinite(s.width)) bad.push(`width must be a number > 0, got ${s.width}`);
  if (!(s.lambda > 0) || !Number.isFinite(s.lambda)) bad.push(`lambda must be a number > 0, got ${s.lambda}`);
  if (!(s.labels > 0) || !Number.isFinite(s.labels)) bad.push(`labels must be a number > 0, got ${s.labels}`);
  if (!Number.isInteger(s.centres) || s.centres < 2) bad.push(`centres must be an integer >= 2, got ${s.centres}`);
  if (!Number.isInteger(s.points) || s.points < 2) bad.push(`points must be an integer >= 2, got ${s.points}`);
  for (const p of s.pairs)
    if (!(p.chosen >= 0 && p.chosen <= 1 && p.rejected >= 0 && p.rejected <= 1)) bad.push(`pair ${JSON.stringify(p)} is outside [0, 1]`);
  if (bad.length > 0) throw new Error(`figure1: ${bad.join('; ')}`);
}

/** Solves H x = b for a symmetric positive definite H (Cholesky); H is n×n, row-major. */
function solveSpd(H: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = H[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j]!;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * z[k]!;
    z[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/** The problem's constant parts: pair-difference features D [P, C], label weights, grid features Φ [M, C]. */
interface Problem {
  C: number;
  M: number;
  diffs: Tensor;
  diffRows: number[][];
  /** n p_i and n (1 − p_i): how many labels chose each side of pair i. */
  forward: Float64Array;
  backward: Float64Array;
  grid: number[];
  gridFeatures: number[][];
  lambda: number;
}

function problemOf(s: Figure1Settings): Problem {
  const grid = figure1Grid(s.points);
  const diffRows = s.pairs.map((p) => {
    const a = features(p.chosen, s.centres, s.width);
    const b = features(p.rejected, s.centres, s.width);
    return a.map((v, j) => v - b[j]!);
  });
  const probs = s.pairs.map((p) => preferenceProbability(p.chosen, p.rejected));
  const P = Math.max(diffRows.length, 1);
  const diffs = tensor(Float64Array.from(diffRows.length > 0 ? diffRows.flat() : new Array<number>(s.centres).fill(0)), {
    shape: [P, s.centres],
    dtype: 'float64',
  });
  return {
    C: s.centres,
    M: grid.length,
    diffs,
    diffRows,
    forward: Float64Array.from({ length: P }, (_, i) => (i < probs.length ? s.labels * probs[i]! : 0)),
    backward: Float64Array.from({ length: P }, (_, i) => (i < probs.length ? s.labels * (1 - probs[i]!) : 0)),
    grid,
    gridFeatures: grid.map((y) => features(y, s.centres, s.width)),
    lambda: s.lambda,
  };
}

/**
 * The negated (1.1) for a batch of independent problems, one per row of W [B, C] with tilt row A [B, C]:
 * row b is L_lr(w_b) + (λ/2)|w_b|² − a_b·w_b, built in the engine (float64). Returns the per-row values [B].
 */
function negatedObjectives(p: Problem, W: Tensor, tilts: Tensor): Tensor {
  const margins = matmulT(W, p.diffs, false, true); // [B, P]: r(y_w,i) − r(y_l,i) for every row
  const P = p.diffs.shape[0]!;
  const fwd = tensor(p.forward, { shape: [1, P], dtype: 'float64' });
  const bwd = tensor(p.backward, { shape: [1, P], dtype: 'float64' });
  const fit = sum(add(mul(softplus(neg(margins)), fwd), mul(softplus(margins), bwd)), 1);
  const prior = mul(sum(square(W), 1), p.lambda / 2);
  return sub(add(fit, prior), sum(mul(W, tilts), 1));
}

/**
 * Newton's method on B strictly convex problems at once (the rows of `tilts`, each a linear tilt α φ(y));
 * the gradient from one backward pass, each row's Hessian Σ_i n σ(m)(1 − σ(m)) d_i d_iᵀ + λ I in closed form.
 */
function solveTilted(p: Problem, tiltRows: readonly Float64Array[], start: Float64Array): Float64Array[] {
  const { C } = p;
  const B = tiltRows.length;
  const tilts = tensor(Float64Array.from(tiltRows.flatMap((r) => [...r])), { shape: [B, C], dtype: 'float64' });
  let W: Float64Array = new Float64Array(B * C);
  for (let b = 0; b < B; b++) W.set(start, b * C);
  const values = (w: Float64Array): Float64Array =>
    noGrad(() => Float64Array.from(negatedObjectives(p, tensor(w, { shape: [B, C], dtype: 'float64' }), tilts).data));
  const active = new Array<boolean>(B).fill(true);
  for (let iter = 0; iter < 60 && active.some(Boolean); iter++) {
    const wt = tensor(W, { shape: [B, C], dtype: 'float64', requiresGrad: true });
    const f = negatedObjectives(p, wt, tilts);
    const f0 = Float64Array.from(f.data);
    const g = grad(sum(f), [wt])[0]!.data;
    const steps = new Float64Array(B * C);
    const decrements = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      if (!active[b]) continue;
      const w = W.subarray(b * C, (b + 1) * C);
      const H = new Float64Array(C * C);
      for (let j = 0; j < C; j++) H[j * C + j] = p.lambda;
      p.diffRows.forEach((d, i) => {
        const m = d.reduce((a, v, j) => a + v * w[j]!, 0);
        const sg = 1 / (1 + Math.exp(-m));
        const c = (p.forward[i]! + p.backward[i]!) * sg * (1 - sg);
        for (let r = 0; r < C; r++) for (let k = 0; k < C; k++) H[r * C + k]! += c * d[r]! * d[k]!;
      });
      const gb = Float64Array.from(g.subarray(b * C, (b + 1) * C));
      const step = solveSpd(H, gb, C);
      steps.set(step, b * C);
      decrements[b] = step.reduce((a, v, j) => a + v * gb[j]!, 0);
      if (decrements[b]! / 2 < 1e-22) active[b] = false;
    }
    // Backtracking line search (Armijo) per row, so every row converges from any start.
    const t = new Float64Array(B).fill(1);
    const trial = (): Float64Array => W.map((v, k) => v - t[Math.floor(k / C)]! * steps[k]!);
    let next = trial();
    for (let halvings = 0; halvings < 40; halvings++) {
      const fv = values(next);
      let retry = false;
      for (let b = 0; b < B; b++) {
        // The 1e-13 relative slack: a step that changes f by rounding only is accepted, not halved forever.
        if (active[b] && fv[b]! > f0[b]! - 0.25 * t[b]! * decrements[b]! + 1e-13 * Math.abs(f0[b]!)) {
          t[b]! /= 2;
          retry = true;
        }
      }
      if (!retry) break;
      next = trial();
    }
    W = next;
  }
  return Array.from({ length: B }, (_, b) => W.slice(b * C, (b + 1) * C));
}

function fitOf(p: Problem, w: Float64Array, alpha: number): Figure1Fit {
  const rewards = Float64Array.from(p.gridFeatures, (phi) => phi.reduce((a, v, j) => a + v * w[j]!, 0));
  let greedy = 0;
  for (let i = 1; i < rewards.length; i++) if (rewards[i]! > rewards[greedy]!) greedy = i;
  const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  const fitLoss = p.diffRows.reduce((a, d, i) => {
    const m = d.reduce((s, v, j) => s + v * w[j]!, 0);
    return a + p.forward[i]! * softplus(-m) + p.backward[i]! * softplus(m);
  }, 0);
  const prior = (p.lambda / 2) * w.reduce((a, v) => a + v * v, 0);
  return { weights: w, rewards, greedy, fitLoss, objective: alpha * rewards[greedy]! - fitLoss - prior };
}

/** Both fits of Figure 1 for these settings (see the module comment). */
export function figure1(settings: Figure1Settings): Figure1Result {
  checkSettings(settings);
  const p = problemOf(settings);
  const zero = new Float64Array(p.C);
  const plainW = solveTilted(p, [zero], zero)[0]!;
  const plain = fitOf(p, plainW, 0);
  if (settings.alpha === 0) return { grid: p.grid, plain, optimistic: plain };
  // One strictly convex problem per candidate y_u, all solved together; the best is the joint maximum.
  const solutions = solveTilted(
    p,
    p.gridFeatures.map((phi) => Float64Array.from(phi, (v) => settings.alpha * v)),
    plainW,
  );
  let best: Figure1Fit | null = null;
  for (const w of solutions) {
    const fit = fitOf(p, w, settings.alpha);
    if (best === null || fit.objective > best.objective) best = fit;
  }
  return { grid: p.grid, plain, optimistic: best! };
}
