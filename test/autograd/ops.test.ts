/**
 * Every op of the op table, and every other exported op function: forward values against a float64 reference
 * written in the test, gradcheck and gradgradcheck (float64 finite differences) on random shapes and values,
 * and for piecewise-constant ops, outputs that never require grad. The list of ops comes from the table.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as ops from '../../src/autograd/ops/index.js';
import { COMPOSITES, PRIMITIVES, gradcheck, gradgradcheck, tensor, type Tensor } from '../../src/autograd/index.js';
import '../helpers/allclose.js';
import { sizeOf, toTensor } from '../helpers/generators.js';
import type { OpCase, OpSample } from '../helpers/op-case.js';
import { CASES } from './op-cases.js';
import { COVERED_BY, EXTRA_CASES } from './op-cases-extra.js';

/** Above this many checked numbers a full Jacobian costs too much: use gradcheck's fast mode. */
const SLOW_MODE_LIMIT = 16;
/** Runs per property: twice the global 25, since the whole file takes a few seconds. */
const RUNS = { numRuns: 50 };

const TABLE_NAMES = [...Object.keys(PRIMITIVES), ...Object.keys(COMPOSITES)];
const ALL_CASES: Readonly<Record<string, OpCase>> = { ...CASES, ...EXTRA_CASES };

function build(s: OpSample): Tensor[] {
  return s.inputs.map((x) => toTensor(x));
}

const gradSize = (s: OpSample): number => s.inputs.filter((x) => x.requiresGrad).reduce((n, x) => n + sizeOf(x.shape), 0);

describe('op coverage', () => {
  test('every primitive and composite of the op table has a case, and every case is an op of the table', () => {
    expect(TABLE_NAMES.filter((name) => !(name in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((name) => !TABLE_NAMES.includes(name))).toEqual([]);
  });

  test('every function the ops module exports is tested by a case', () => {
    const functions = Object.entries(ops)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k);
    const untested = functions.filter((name) => !(name in CASES) && !(name in EXTRA_CASES) && !(name in COVERED_BY));
    expect(untested).toEqual([]);
  });

  test('the table marks exactly the piecewise-constant ops as non-differentiable', () => {
    const marked = Object.keys(PRIMITIVES).filter((name) => !ops.isDifferentiable(name as ops.PrimitiveName));
    const expected = Object.keys(PRIMITIVES).filter((name) => !CASES[name as ops.PrimitiveName].differentiable);
    expect(marked.sort()).toEqual(expected.sort());
  });
});

describe.each(Object.keys(ALL_CASES))('%s', (name) => {
  const c = ALL_CASES[name]!;

  test('forward values match the float64 reference', () => {
    fc.assert(
      fc.property(c.sample, (s) => {
        const out = s.fn(...build(s));
        expect(out.dtype).toBe('float64');
        expect(out).toBeAllclose(tensor(s.reference(...s.refs()).data, { shape: s.reference(...s.refs()).shape }), {
          atol: 1e-12,
          rtol: 1e-10,
          ...c.values,
        });
      }),
      RUNS,
    );
  });

  if (c.differentiable) {
    test('gradcheck: analytic gradients match central differences', () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          expect(gradcheck(s.fn, build(s), { fastMode: gradSize(s) > SLOW_MODE_LIMIT, ...c.gradcheck })).toBe(true);
        }),
        RUNS,
      );
    });

    test('gradgradcheck: second derivatives match central differences of the first', () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          const xs = build(s);
          const outSize = s.fn(...build(s)).size;
          expect(gradgradcheck(s.fn, xs, { fastMode: gradSize(s) + outSize > SLOW_MODE_LIMIT, ...c.gradcheck })).toBe(true);
        }),
        RUNS,
      );
    });
  } else {
    test('outputs do not require grad, even from inputs that do', () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          const out = s.fn(...build(s));
          expect(out.requiresGrad).toBe(false);
          expect(out.gradFn).toBeNull();
        }),
        RUNS,
      );
    });
  }
});

/** Conventions at the points gradcheck must avoid (kinks and ties), stated once as PyTorch states them. */
describe('conventions at kinks and ties', () => {
  const f64 = (values: number[], requiresGrad = true): Tensor => tensor(values, { dtype: 'float64', requiresGrad });
  const gradOf = (fn: (x: Tensor) => Tensor, values: number[]): Tensor => {
    const x = f64(values);
    ops.sum(fn(x)).backward();
    return x.grad!;
  };

  test('max and min split the gradient evenly among tied extremes', () => {
    expect(gradOf((x) => ops.max(x), [1, 3, 3, 0])).toBeAllclose([0, 0.5, 0.5, 0], { atol: 0, rtol: 0 });
    expect(gradOf((x) => ops.min(ops.reshape(x, [2, 3]), 1), [2, 2, 2, 5, 1, 9])).toBeAllclose([1 / 3, 1 / 3, 1 / 3, 0, 1, 0], {
      atol: 0,
      rtol: 0,
    });
  });

  test('maximum and minimum split a tie in half', () => {
    expect(gradOf((x) => ops.maximum(x, 1), [1, 2, 0])).toBeAllclose([0.5, 1, 0], { atol: 0, rtol: 0 });
    expect(gradOf((x) => ops.minimum(x, 1), [1, 2, 0])).toBeAllclose([0.5, 0, 1], { atol: 0, rtol: 0 });
  });

  test('relu and abs have gradient 0 at 0; softplus has exactly 1/2 there', () => {
    expect(gradOf(ops.relu, [0, -1, 2])).toBeAllclose([0, 0, 1], { atol: 0, rtol: 0 });
    expect(gradOf(ops.abs, [0, -1, 2])).toBeAllclose([0, -1, 1], { atol: 0, rtol: 0 });
    expect(gradOf(ops.softplus, [0])).toBeAllclose([0.5], { atol: 0, rtol: 0 });
  });

  test('logsumexp of a row of -inf is -inf, and +inf entries give +inf, without NaN', () => {
    const x = tensor(
      [
        [-Infinity, -Infinity],
        [0, Infinity],
      ],
      { dtype: 'float64' },
    );
    expect(ops.logsumexp(x, 1)).toBeAllclose([-Infinity, Infinity], { atol: 0, rtol: 0 });
  });

  test('crossEntropy with every target ignored is 0 with a zero gradient', () => {
    const x = f64([0.3, -1, 2, 0.5]);
    const logits = ops.reshape(x, [2, 2]);
    const loss = ops.crossEntropy(logits, [-100, -100], { ignoreIndex: -100 });
    expect(loss.item()).toBe(0);
    loss.backward();
    expect(x.grad!).toBeAllclose([0, 0, 0, 0], { atol: 0, rtol: 0 });
  });

  test('cast rounds to float32 and sends the gradient back in the input dtype', () => {
    const x = f64([1 / 3, 2]);
    const y = ops.cast(x, 'float32');
    expect(y.dtype).toBe('float32');
    expect(y.data[0]).toBe(Math.fround(1 / 3));
    y.backward(tensor([0.1, 2], { dtype: 'float32' }));
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!).toBeAllclose([Math.fround(0.1), 2], { atol: 0, rtol: 0 });
  });
});
