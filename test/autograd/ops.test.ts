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
const SLOW_MODE_LIMIT = 12;

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
    );
  });

  if (c.differentiable) {
    test('gradcheck: analytic gradients match central differences', () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          expect(gradcheck(s.fn, build(s), { fastMode: gradSize(s) > SLOW_MODE_LIMIT, ...c.gradcheck })).toBe(true);
        }),
      );
    });

    test('gradgradcheck: second derivatives match central differences of the first', () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          const xs = build(s);
          const outSize = s.fn(...build(s)).size;
          expect(gradgradcheck(s.fn, xs, { fastMode: gradSize(s) + outSize > SLOW_MODE_LIMIT, ...c.gradcheck })).toBe(true);
        }),
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
      );
    });
  }
});
