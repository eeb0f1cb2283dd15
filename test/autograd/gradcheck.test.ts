/**
 * gradcheck must catch wrong gradients, or every other gradient test is worthless. Deliberately wrong custom
 * rules (through `apply`) are reported with the input and element; correct ones pass; fast mode's failure falls
 * back to naming the element; gradgradcheck catches a wrong second derivative that gradcheck cannot see.
 */
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import {
  GradcheckError,
  apply,
  gradcheck,
  gradcheckReport,
  gradgradcheck,
  gradgradcheckReport,
  tensor,
  type GradcheckReport,
  type Rule,
  type Tensor,
} from '../../src/autograd/index.js';

type NoAttrs = Record<string, never>;
const f64 = (values: number[] | number[][], requiresGrad = true): Tensor => tensor(values, { dtype: 'float64', requiresGrad });

/** An elementwise primitive with its forward on numbers and a backward given as tensor ops. */
function elementwise(name: string, f: (v: number) => number, backward: (g: Tensor, x: Tensor) => Tensor): Rule<NoAttrs> {
  return {
    name,
    forward: ([x]) => ({ data: x!.data.map(f), shape: x!.shape }),
    backward: (g, { inputs: [x] }) => [backward(g, x!)],
  };
}

const squareWith = (backward: (g: Tensor, x: Tensor) => Tensor) => {
  const rule = elementwise('square', (v) => v * v, backward);
  return (x: Tensor): Tensor => apply(rule, [x], {});
};

const correctSquare = squareWith((g, x) => ag.mul(g, ag.mul(x, 2)));
const flippedSign = squareWith((g, x) => ag.neg(ag.mul(g, ag.mul(x, 2))));
const missingTwo = squareWith((g, x) => ag.mul(g, x));

/** (input, element) pairs of a report's named mismatches (fast mode's projection entries have element -1). */
const named = (r: GradcheckReport): [number, number][] => r.mismatches.filter((m) => m.element >= 0).map((m) => [m.input, m.element]);

const X = [0.5, -1.25, 2, 0.75];

describe.each([
  ['slow', false],
  ['fast', true],
] as const)('%s mode', (_, fastMode) => {
  test('a correct rule passes', () => {
    expect(gradcheck(correctSquare, [f64(X)], { fastMode })).toBe(true);
  });

  test.each([
    ['flipped sign', flippedSign],
    ['missing factor 2', missingTwo],
  ])('a wrong rule (%s) is reported with the input and every wrong element', (_, fn) => {
    const report = gradcheckReport(fn, [f64(X)], { fastMode });
    expect(report.ok).toBe(false);
    expect(named(report)).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
    // Each named mismatch is on the diagonal of the elementwise Jacobian, with both values given.
    for (const m of report.mismatches.filter((x) => x.element >= 0)) {
      expect(m.outputElement).toBe(m.element);
      expect(m.numeric).toBeCloseTo(2 * X[m.element]!, 6);
    }
    expect(() => gradcheck(fn, [f64(X)], { fastMode })).toThrow(GradcheckError);
    expect(() => gradcheck(fn, [f64(X)], { fastMode })).toThrow(
      /input 0, element 1, output element 1: analytic -?\d.* vs numeric -2\.(5|49999)/,
    );
  });

  test('a gradient that ignores broadcasting is reported on the broadcast input only', () => {
    // a [2,3] + b [1,3]: b's gradient must sum both rows; this one takes the first row only.
    const rule: Rule<NoAttrs> = {
      name: 'badAdd',
      forward: ([a, b]) => ({ data: a!.data.map((v, i) => v + b!.data[i % 3]!), shape: a!.shape }),
      backward: (g) => [g, ag.slice(g, [[0, 1], null])],
    };
    const fn = (a: Tensor, b: Tensor): Tensor => apply(rule, [a, b], {});
    const report = gradcheckReport(
      fn,
      [
        f64([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        f64([[0.5, -1, 2]]),
      ],
      { fastMode },
    );
    expect(report.ok).toBe(false);
    // Input 1's elements each miss the second row's output (output elements 3, 4, 5).
    expect(named(report)).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(report.mismatches.filter((m) => m.element >= 0).map((m) => m.outputElement)).toEqual([3, 4, 5]);
  });

  test('a wrong gradient for the second of two inputs names input 1', () => {
    const rule: Rule<NoAttrs> = {
      name: 'badMul',
      forward: ([a, b]) => ({ data: a!.data.map((v, i) => v * b!.data[i]!), shape: a!.shape }),
      // d(ab)/db = a, but this rule gives b
      backward: (g, { inputs: [_a, b] }) => [ag.mul(g, b!), ag.mul(g, b!)],
    };
    const report = gradcheckReport((a: Tensor, b: Tensor) => apply(rule, [a, b], {}), [f64([1, 2]), f64([3, -4])], { fastMode });
    expect(named(report)).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });
});

test('a nondeterministic backward is reported even when each pass is close to right', () => {
  let calls = 0;
  const noisy = squareWith((g, x) => ag.add(ag.mul(g, ag.mul(x, 2)), 1e-9 * ++calls));
  const report = gradcheckReport(noisy, [f64(X)]);
  expect(report.ok).toBe(false);
  expect(report.problems).toContain('input 0: two backward passes gave different gradients');
  expect(gradcheckReport(noisy, [f64(X)], { checkBackwardTwice: false }).ok).toBe(true);
});

test('fast mode: the failing projection is reported, then the slow check names the elements', () => {
  const report = gradcheckReport(flippedSign, [f64(X)], { fastMode: true });
  const projections = report.mismatches.filter((m) => m.element < 0);
  expect(projections).toHaveLength(1);
  expect(projections[0]!.input).toBe(0);
  expect(Math.sign(projections[0]!.analytic)).toBe(-Math.sign(projections[0]!.numeric));
  expect(named(report).length).toBe(X.length);
});

test("fast mode's tolerance on v^T J u is atol Σu Σv (PyTorch's): every Jacobian entry off by just under atol passes, just over fails", () => {
  // The identity on 400 values whose backward adds δ Σg to every entry: J = I + δ 11^T, so the projection is off by
  // exactly δ Σv Σu, with Σu, Σv ≈ 17 each. Below atol it must pass (as each entry would in the slow mode); a
  // tolerance of atol Σu / Σv, or a plain atol, would reject it.
  const n = 400;
  const biased = (delta: number): Rule<Record<string, never>> => ({
    name: 'biasedIdentity',
    forward: ([x]) => ({ data: x!.data.slice(), shape: x!.shape }),
    backward: (g) => [ag.add(g, ag.mul(ag.sum(g), delta))],
  });
  const x = () => f64(Array.from({ length: n }, (_, i) => Math.sin(i)));
  const atol = 1e-5;
  expect(gradcheckReport((t) => apply(biased(0.9 * atol), [t], {}), [x()], { fastMode: true, atol }).ok).toBe(true);
  expect(gradcheckReport((t) => apply(biased(1.5 * atol), [t], {}), [x()], { fastMode: true, atol, checkBackwardTwice: false }).ok).toBe(
    false,
  );
});

test('correct composite functions pass in both modes, and inputs the output ignores get zero', () => {
  const a = f64([
    [0.5, -1, 2],
    [1.5, 0.25, -0.75],
  ]);
  const b = f64([
    [1, 2],
    [-1, 0.5],
    [0.3, -0.2],
  ]);
  const unused = f64([7]);
  const fn = (x: Tensor, y: Tensor, _u: Tensor): Tensor => ag.tanh(ag.matmul(x, y));
  expect(gradcheck(fn, [a, b, unused])).toBe(true);
  expect(gradcheck(fn, [a, b, unused], { fastMode: true })).toBe(true);
  expect(gradgradcheck(fn, [a, b, unused], { fastMode: true })).toBe(true);
});

test('several outputs are checked together', () => {
  const fn = (x: Tensor): Tensor[] => [ag.exp(x), ag.sum(ag.mul(x, x))];
  expect(gradcheck(fn, [f64([0.1, -0.3])])).toBe(true);
  const bad = (x: Tensor): Tensor[] => [ag.exp(x), ag.sum(flippedSign(x))];
  expect(named(gradcheckReport(bad, [f64([0.1, -0.3])]))).toEqual([
    [0, 0],
    [0, 1],
  ]);
});

describe('gradgradcheck', () => {
  // d(x^3) = 3x^2 dx, but computed from a detached x: right first derivative, second derivative 0 instead of 6x.
  const cubeRule = (detached: boolean): Rule<NoAttrs> =>
    elementwise(
      'cube',
      (v) => v ** 3,
      (g, x) => {
        const base = detached ? x.detach() : x;
        return ag.mul(g, ag.mul(ag.mul(base, base), 3));
      },
    );
  const cube =
    (detached: boolean) =>
    (x: Tensor): Tensor =>
      apply(cubeRule(detached), [x], {});

  test('a correct rule passes gradcheck and gradgradcheck', () => {
    expect(gradcheck(cube(false), [f64(X)])).toBe(true);
    expect(gradgradcheck(cube(false), [f64(X)])).toBe(true);
    expect(gradgradcheck(cube(false), [f64(X)], { fastMode: true })).toBe(true);
  });

  test.each([false, true])('a backward that wrongly detaches passes gradcheck but fails gradgradcheck (fastMode %s)', (fastMode) => {
    expect(gradcheck(cube(true), [f64(X)], { fastMode })).toBe(true);
    const report = gradgradcheckReport(cube(true), [f64(X)], { fastMode });
    expect(report.ok).toBe(false);
    // Input 0 is x (its second derivative is wrong); input 1, the upstream gradient, enters linearly and is right.
    expect(named(report)).toEqual(X.map((_, e) => [0, e]));
    expect(() => gradgradcheck(cube(true), [f64(X)], { fastMode })).toThrow(GradcheckError);
  });
});

describe('gradcheck refuses what it cannot check', () => {
  test('float32 inputs', () => {
    expect(() => gradcheck(ag.exp, [tensor([1, 2], { requiresGrad: true, dtype: 'float32' })])).toThrow(
      'gradcheck: input 0 [2] is float32; finite differences need float64 inputs',
    );
  });

  test('no input requiring grad', () => {
    expect(() => gradcheck(ag.exp, [f64([1, 2], false)])).toThrow('gradcheck: no input requires grad');
  });

  test('a float32 output is a problem', () => {
    const report = gradcheckReport((x: Tensor) => ag.cast(x, 'float32'), [f64([1, 2])], { eps: 2 ** -10 });
    expect(report.problems).toContain('an output is float32; gradcheck needs float64 outputs');
  });
});
