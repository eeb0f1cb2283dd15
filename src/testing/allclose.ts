/**
 * allclose for tensors, typed arrays, nested arrays and numbers (NumPy's rule: |a - e| <= atol + rtol |e|,
 * elementwise; NaN matches NaN and an infinity matches the same infinity). Shapes must agree exactly when both
 * sides carry one (a Tensor or a nested array); a flat typed array only fixes the element count.
 *
 * `allcloseMatchers` is a matcher object for vitest's or jest's `expect.extend`:
 * `expect(actual).toBeAllclose(expected, { atol, rtol })`.
 */
import { Tensor, type NestedArray } from '../autograd/index.js';

export type Numeric = Tensor | NestedArray | Float64Array | Float32Array | readonly number[];

export interface AllcloseOptions {
  atol?: number;
  rtol?: number;
}

export interface AllcloseResult {
  ok: boolean;
  /** Why it failed (first offending element, largest error), or a summary when it passed. */
  message: string;
}

interface Flat {
  values: ArrayLike<number>;
  /** null when the value carries no shape (a flat typed array). */
  shape: number[] | null;
}

function shapeOfNested(v: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = v;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function flatten(v: Numeric): Flat {
  if (v instanceof Tensor) return { values: v.data, shape: [...v.shape] };
  if (v instanceof Float64Array || v instanceof Float32Array) return { values: v, shape: null };
  if (typeof v === 'number') return { values: [v], shape: [] };
  const values: number[] = [];
  const walk = (x: NestedArray): void => {
    if (typeof x === 'number') values.push(x);
    else for (const y of x) walk(y);
  };
  walk(v as NestedArray);
  return { values, shape: shapeOfNested(v as NestedArray) };
}

const fmt = (shape: number[] | null): string => (shape === null ? '(flat)' : `[${shape.join(',')}]`);

export function allclose(actual: Numeric, expected: Numeric, options: AllcloseOptions = {}): AllcloseResult {
  const atol = options.atol ?? 1e-8;
  const rtol = options.rtol ?? 1e-5;
  const a = flatten(actual);
  const e = flatten(expected);
  if (a.shape !== null && e.shape !== null && fmt(a.shape) !== fmt(e.shape)) {
    return { ok: false, message: `shape ${fmt(a.shape)} differs from expected shape ${fmt(e.shape)}` };
  }
  if (a.values.length !== e.values.length) {
    return { ok: false, message: `${a.values.length} elements, expected ${e.values.length}` };
  }
  let bad = 0;
  let first = -1;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    const same = Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    const err = Math.abs(x - y);
    const ok = same || err <= atol + rtol * Math.abs(y);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
    const excess = same ? 0 : Number.isNaN(err) ? Infinity : err;
    if (excess > worst || (worstAt < 0 && !ok)) {
      worst = excess;
      worstAt = i;
    }
  }
  if (bad === 0) return { ok: true, message: `all ${a.values.length} elements within atol ${atol}, rtol ${rtol}` };
  return {
    ok: false,
    message:
      `${bad} of ${a.values.length} elements differ (atol ${atol}, rtol ${rtol}); ` +
      `first at flat index ${first}: ${a.values[first]} vs expected ${e.values[first]}; ` +
      `largest |error| ${worst} at ${worstAt}`,
  };
}

/** The result shape of a vitest/jest custom matcher. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** `expect.extend(allcloseMatchers)` adds `toBeAllclose(expected, { atol, rtol })`. */
export const allcloseMatchers = {
  toBeAllclose(received: Numeric, expected: Numeric, options?: AllcloseOptions): MatcherResult {
    const result = allclose(received, expected, options);
    return {
      pass: result.ok,
      message: () =>
        result.ok ? `expected values not to be allclose, but ${result.message}` : `expected values to be allclose: ${result.message}`,
    };
  },
};
