/**
 * Finite-difference gradient checks in float64, after PyTorch's torch.autograd.gradcheck:
 * central differences with eps 1e-6, and |analytic - numeric| <= atol + rtol |numeric| with atol 1e-5,
 * rtol 1e-3. The slow mode compares full Jacobians element by element; the fast mode compares the scalars
 * v^T J u for random unit vectors u, v (PyTorch's fast_mode), with atol scaled by sum(u) sum(v), and on a
 * failure falls back to the slow mode for that input to name the element.
 */
import { grad, noGrad } from './engine.js';
import { Generator } from './random.js';
import { formatShape, shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Random projections instead of full Jacobians (PyTorch's fast_mode). */
  fastMode?: boolean;
  /** Seed of gradcheck's private generator (for the fast mode's vectors and gradgradcheck's gradOutputs). */
  seed?: number;
  /** Also require two backward passes to give bit-identical gradients (default true). */
  checkBackwardTwice?: boolean;
}

export interface GradcheckMismatch {
  /** Index of the input (among all inputs passed). */
  input: number;
  /** Flat index of the input element, or -1 in fast mode (a projection, not an element). */
  element: number;
  /** Flat index into the concatenated outputs, or -1 in fast mode. */
  outputElement: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckReport {
  ok: boolean;
  /** The largest |analytic - numeric| over everything compared. */
  maxAbsError: number;
  /** The largest |analytic - numeric| / max(|numeric|, tiny) over everything compared. */
  maxRelError: number;
  mismatches: GradcheckMismatch[];
  /** Failures that are not numeric mismatches (nondeterministic backward, wrong shape or dtype). */
  problems: string[];
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

const DEFAULTS = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };

/** fn's outputs as a list; anything but a Tensor or an array of Tensors is the caller's error, said plainly. */
function asList(out: Tensor | readonly Tensor[]): Tensor[] {
  if (out instanceof Tensor) return [out];
  const value: unknown = out;
  if (Array.isArray(value) && value.every((o) => o instanceof Tensor)) return [...(value as Tensor[])];
  throw new Error(`gradcheck: fn must return a Tensor or an array of Tensors, got ${describeValue(value)}`);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array holding ${value.map((v) => (v instanceof Tensor ? 'Tensor' : describeValue(v))).join(', ')}`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no constructor'})`;
  return `${typeof value} ${String(value)}`;
}

function flatOutputs(fn: Fn, inputs: Tensor[]): Float64Array {
  const outs = noGradIfPossible(() => asList(fn(...inputs)));
  const total = outs.reduce((n, o) => n + o.size, 0);
  const flat = new Float64Array(total);
  let offset = 0;
  for (const o of outs) {
    flat.set(o.data, offset);
    offset += o.size;
  }
  return flat;
}

/** Numeric evaluations need no graph, except when fn itself differentiates (gradgradcheck). */
let numericNeedsGraph = false;
function noGradIfPossible<T>(f: () => T): T {
  return numericNeedsGraph ? f() : noGrad(f);
}

function validateInputs(inputs: Tensor[]): void {
  inputs.forEach((t, i) => {
    if (t.requiresGrad && t.dtype !== 'float64') {
      throw new Error(`gradcheck: input ${i} ${formatShape(t.shape)} is ${t.dtype}; finite differences need float64 inputs`);
    }
  });
  if (!inputs.some((t) => t.requiresGrad)) throw new Error('gradcheck: no input requires grad');
}

/** Analytic vector-Jacobian products v^T J for each input requiring grad (zeros where unused). */
function vjp(outs: Tensor[], inputs: Tensor[], vs: Tensor[], problems: string[]): Float64Array[] {
  const wrt = inputs.filter((t) => t.requiresGrad);
  const diffOuts = outs.map((o, i) => [o, vs[i]!] as const).filter(([o]) => o.requiresGrad);
  const result = inputs.map((t) => new Float64Array(t.size));
  if (diffOuts.length === 0) return result;
  const grads = grad(
    diffOuts.map(([o]) => o),
    wrt,
    { gradOutputs: diffOuts.map(([, v]) => v), retainGraph: true, allowUnused: true },
  );
  let k = 0;
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) return;
    const g = grads[k++];
    if (!g) return;
    if (!shapesEqual(g.shape, t.shape) || g.dtype !== t.dtype) {
      problems.push(`input ${i}: gradient has shape ${formatShape(g.shape)} ${g.dtype}, expected ${formatShape(t.shape)} ${t.dtype}`);
      return;
    }
    result[i]!.set(g.data);
  });
  return result;
}

function close(a: number, n: number, atol: number, rtol: number): boolean {
  return Math.abs(a - n) <= atol + rtol * Math.abs(n) || (Number.isNaN(a) && Number.isNaN(n));
}

class Tracker {
  maxAbs = 0;
  maxRel = 0;
  mismatches: GradcheckMismatch[] = [];
  see(m: GradcheckMismatch, ok: boolean): void {
    const abs = Math.abs(m.analytic - m.numeric);
    const rel = abs / Math.max(Math.abs(m.numeric), 1e-12);
    if (Number.isNaN(abs) || abs > this.maxAbs) this.maxAbs = Number.isNaN(abs) ? Infinity : abs;
    if (Number.isNaN(rel) || rel > this.maxRel) this.maxRel = Number.isNaN(rel) ? Infinity : rel;
    if (!ok) this.mismatches.push(m);
  }
}

function slowCheck(
  fn: Fn,
  inputs: Tensor[],
  outs: Tensor[],
  eps: number,
  atol: number,
  rtol: number,
  only: number | null,
  tracker: Tracker,
  problems: string[],
): void {
  const sizes = outs.map((o) => o.size);
  const totalOut = sizes.reduce((a, b) => a + b, 0);
  // Analytic Jacobian, one row per output element.
  const analytic: Float64Array[][] = [];
  for (let k = 0; k < totalOut; k++) {
    let offset = 0;
    const vs = outs.map((o, j) => {
      const v = new Float64Array(o.size);
      if (k >= offset && k < offset + sizes[j]!) v[k - offset] = 1;
      offset += sizes[j]!;
      return new Tensor(v, o.shape);
    });
    analytic.push(vjp(outs, inputs, vs, problems));
  }
  inputs.forEach((t, i) => {
    if (!t.requiresGrad || (only !== null && only !== i)) return;
    for (let e = 0; e < t.size; e++) {
      const saved = t.data[e]!;
      t.data[e] = saved + eps;
      const plus = flatOutputs(fn, inputs);
      t.data[e] = saved - eps;
      const minus = flatOutputs(fn, inputs);
      t.data[e] = saved;
      for (let k = 0; k < totalOut; k++) {
        const numeric = (plus[k]! - minus[k]!) / (2 * eps);
        const a = analytic[k]![i]![e]!;
        tracker.see({ input: i, element: e, outputElement: k, analytic: a, numeric }, close(a, numeric, atol, rtol));
      }
    }
  });
}

/** A random vector of the tensor's size, uniform in [0, 1) and scaled to unit L2 norm (as PyTorch does). */
function unitVector(size: number, gen: Generator): Float64Array {
  const v = new Float64Array(size);
  let norm = 0;
  for (let i = 0; i < size; i++) {
    v[i] = gen.random();
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < size; i++) v[i]! /= norm;
  return v;
}

function fastCheck(
  fn: Fn,
  inputs: Tensor[],
  outs: Tensor[],
  eps: number,
  atol: number,
  rtol: number,
  gen: Generator,
  tracker: Tracker,
  problems: string[],
): number[] {
  const vs = outs.map((o) => new Tensor(unitVector(o.size, gen), o.shape));
  let sumV = 0;
  for (const v of vs) for (let j = 0; j < v.size; j++) sumV += v.data[j]!;
  const analyticVJ = vjp(outs, inputs, vs, problems);
  const failed: number[] = [];
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) return;
    const u = unitVector(t.size, gen);
    const sumU = u.reduce((a, b) => a + b, 0);
    const saved = Float64Array.from(t.data);
    for (let e = 0; e < t.size; e++) t.data[e] = saved[e]! + eps * u[e]!;
    const plus = flatOutputs(fn, inputs);
    for (let e = 0; e < t.size; e++) t.data[e] = saved[e]! - eps * u[e]!;
    const minus = flatOutputs(fn, inputs);
    t.data.set(saved);
    // numeric v^T J u from the directional derivative; analytic from (v^T J) . u
    let numeric = 0;
    let k = 0;
    for (const v of vs) for (let j = 0; j < v.size; j++, k++) numeric += v.data[j]! * ((plus[k]! - minus[k]!) / (2 * eps));
    let analytic = 0;
    for (let e = 0; e < t.size; e++) analytic += analyticVJ[i]![e]! * u[e]!;
    const ok = close(analytic, numeric, atol * sumU * sumV, rtol);
    tracker.see({ input: i, element: -1, outputElement: -1, analytic, numeric }, ok);
    if (!ok) failed.push(i);
  });
  return failed;
}

/** Runs the check and returns a report (never throws for a mismatch). */
export function gradcheckReport(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const { eps, atol, rtol } = { ...DEFAULTS, ...options };
  validateInputs(inputs);
  const problems: string[] = [];
  const tracker = new Tracker();
  const outs = asList(fn(...inputs));
  for (const o of outs) {
    if (o.dtype !== 'float64') problems.push(`an output is ${o.dtype}; gradcheck needs float64 outputs`);
  }
  // Nothing below can run on a non-float64 output (the float64 upstream vectors would not match it).
  if (problems.length > 0) return { ok: false, maxAbsError: 0, maxRelError: 0, mismatches: [], problems };
  if (options.checkBackwardTwice ?? true) {
    const gen = new Generator((options.seed ?? 0) + 1);
    const vs = outs.map((o) => new Tensor(unitVector(o.size, gen), o.shape));
    const first = vjp(outs, inputs, vs, problems);
    const second = vjp(outs, inputs, vs, problems);
    first.forEach((g, i) => {
      if (g.some((x, e) => !Object.is(x, second[i]![e]!))) problems.push(`input ${i}: two backward passes gave different gradients`);
    });
  }
  if (options.fastMode) {
    const failed = fastCheck(fn, inputs, outs, eps, atol, rtol, new Generator(options.seed ?? 0), tracker, problems);
    // Name the elements: rerun the slow check on each failing input, into a separate tracker.
    for (const i of failed) {
      const detail = new Tracker();
      slowCheck(fn, inputs, outs, eps, atol, rtol, i, detail, problems);
      tracker.mismatches.push(...detail.mismatches);
    }
  } else {
    slowCheck(fn, inputs, outs, eps, atol, rtol, null, tracker, problems);
  }
  return {
    ok: tracker.mismatches.length === 0 && problems.length === 0,
    maxAbsError: tracker.maxAbs,
    maxRelError: tracker.maxRel,
    mismatches: tracker.mismatches,
    problems,
  };
}

export class GradcheckError extends Error {
  constructor(readonly report: GradcheckReport) {
    super(describeReport(report));
    this.name = 'GradcheckError';
  }
}

export function describeReport(report: GradcheckReport): string {
  const lines = [
    `gradcheck failed (max abs error ${report.maxAbsError.toExponential(3)}, max rel error ${report.maxRelError.toExponential(3)})`,
  ];
  for (const p of report.problems) lines.push(`  ${p}`);
  for (const m of report.mismatches.slice(0, 10)) {
    const where = m.element < 0 ? 'projection v^T J u' : `element ${m.element}, output element ${m.outputElement}`;
    lines.push(`  input ${m.input}, ${where}: analytic ${m.analytic} vs numeric ${m.numeric}`);
  }
  if (report.mismatches.length > 10) lines.push(`  ... ${report.mismatches.length - 10} more`);
  return lines.join('\n');
}

/** Checks analytic gradients against finite differences; throws a GradcheckError naming the failures. */
export function gradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): true {
  const report = gradcheckReport(fn, inputs, options);
  if (!report.ok) throw new GradcheckError(report);
  return true;
}

/**
 * Checks second derivatives: gradcheck of (inputs, gradOutputs) -> d<outputs, gradOutputs>/d inputs, computed
 * with createGraph. gradOutputs are random (from the private generator) unless given.
 */
export function gradgradcheckReport(
  fn: Fn,
  inputs: Tensor[],
  options: GradcheckOptions & { gradOutputs?: Tensor[] } = {},
): GradcheckReport {
  validateInputs(inputs);
  const outs = asList(fn(...inputs)).filter((o) => o.requiresGrad);
  const gen = new Generator((options.seed ?? 0) + 2);
  const gradOutputs =
    options.gradOutputs ??
    outs.map((o) => {
      const data = new Float64Array(o.size);
      for (let i = 0; i < data.length; i++) data[i] = gen.normal();
      return new Tensor(data, o.shape, true);
    });
  const n = inputs.length;
  const wrtIndex = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  const firstDerivative: Fn = (...args) => {
    const xs = args.slice(0, n);
    const gs = args.slice(n);
    const os = asList(fn(...xs)).filter((o) => o.requiresGrad);
    const gradsOut = grad(
      os,
      wrtIndex.map((i) => xs[i]!),
      { gradOutputs: gs, createGraph: true, allowUnused: true },
    );
    return gradsOut.map((g, k) => g ?? new Tensor(new Float64Array(xs[wrtIndex[k]!]!.size), xs[wrtIndex[k]!]!.shape));
  };
  const previous = numericNeedsGraph;
  numericNeedsGraph = true;
  try {
    return gradcheckReport(firstDerivative, [...inputs, ...gradOutputs], options);
  } finally {
    numericNeedsGraph = previous;
  }
}

export function gradgradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions & { gradOutputs?: Tensor[] } = {}): true {
  const report = gradgradcheckReport(fn, inputs, options);
  if (!report.ok) throw new GradcheckError(report);
  return true;
}
