/**
 * Properties of the engine and of the composites that hold for every input: softmax rows sum to 1 and its
 * VJP rows to 0, shift invariance, linearity of grad, accumulation, noGrad/detach, createGraph, the engine's
 * errors, dtype preservation, and seeded randomness.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { Generator, apply, grad, noGrad, tensor, zeroGrad, type DType, type Rule, type Tensor } from '../../src/autograd/index.js';
import '../helpers/allclose.js';
import { axisArb, shapeArb, toTensor, valueArb, valuesArb, type TensorSpec } from '../helpers/generators.js';
import { specArb } from '../helpers/op-case.js';
import { CASES } from './op-cases.js';
import { EXTRA_CASES } from './op-cases-extra.js';

const f64 = (values: number[] | number[][], requiresGrad = false): Tensor => tensor(values, { dtype: 'float64', requiresGrad });

/** A rank >= 1 tensor spec and an axis of it, with values in [-5, 5] or shifted by up to +-500. */
const withAxis = shapeArb({ minRank: 1 })
  .chain((s) => fc.tuple(specArb(s, valueArb({ low: -5, high: 5 })), axisArb(s.length), fc.noBias(fc.constantFrom(0, 500, -500))))
  .map(([x, axis, shift]): [TensorSpec, number] => [{ ...x, values: x.values.map((v) => v + shift) }, axis]);

describe('softmax', () => {
  test.each(['float64', 'float32'] as const)('%s: rows along the axis sum to 1', (dtype) => {
    fc.assert(
      fc.property(withAxis, ([x, axis]) => {
        const s = ag.softmax(toTensor(x, dtype), axis);
        const ones = ag.sum(s, axis);
        expect(ones).toBeAllclose(new Float64Array(ones.size).fill(1), { atol: dtype === 'float64' ? 1e-12 : 1e-6, rtol: 0 });
      }),
    );
  });

  test('for any upstream g, the gradient d<g, softmax(x)>/dx sums to 0 along the axis', () => {
    fc.assert(
      fc.property(
        withAxis.chain(([x, axis]) => fc.tuple(fc.constant(x), fc.constant(axis), specArb(x.shape, valueArb({ low: -3, high: 3 }), false))),
        ([x, axis, g]) => {
          const xt = toTensor(x);
          const [dx] = grad(ag.softmax(xt, axis), [xt], { gradOutputs: [toTensor(g)] });
          const rows = ag.sum(dx!, axis);
          expect(rows).toBeAllclose(new Float64Array(rows.size), { atol: 1e-12, rtol: 0 });
        },
      ),
    );
  });

  test('softmax(x + c) = softmax(x) and logsumexp(x + c) = logsumexp(x) + c', () => {
    fc.assert(
      fc.property(withAxis, valueArb({ low: -500, high: 500, steps: 1000 }), ([x, axis], c) => {
        const xt = toTensor(x);
        const shifted = ag.add(xt, c);
        expect(ag.softmax(shifted, axis)).toBeAllclose(ag.softmax(xt, axis), { atol: 1e-12, rtol: 1e-9 });
        expect(ag.logsumexp(shifted, axis)).toBeAllclose(ag.add(ag.logsumexp(xt, axis), c), { atol: 1e-10, rtol: 1e-12 });
      }),
    );
  });
});

describe('gradient algebra', () => {
  test('grad(c L) = c grad(L) for a scalar loss L', () => {
    const loss = (x: Tensor, w: Tensor): Tensor => ag.sum(ag.mul(ag.gelu(x), w));
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(specArb(s), specArb(s, valueArb(), false))),
        valueArb({ low: -10, high: 10 }),
        ([x, w], c) => {
          const xt = toTensor(x);
          const wt = toTensor(w);
          const [g] = grad(loss(xt, wt), [xt]);
          const [gc] = grad(ag.mul(loss(xt, wt), c), [xt]);
          expect(gc!).toBeAllclose(ag.mul(g!, c), { atol: 1e-12, rtol: 1e-12 });
        },
      ),
    );
  });

  test('a tensor used twice accumulates: d(x * x)/dx = 2x', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => specArb(s)),
        (x) => {
          const xt = toTensor(x);
          ag.sum(ag.mul(xt, xt)).backward();
          expect(xt.grad!).toBeAllclose(ag.mul(xt.detach(), 2), { atol: 0, rtol: 0 });
        },
      ),
    );
  });

  test('two backward calls accumulate into .grad, and zeroGrad clears it', () => {
    const x = f64([1, -2, 3], true);
    const y = ag.sum(ag.mul(x, x));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(x.grad!).toBeAllclose([4, -8, 12], { atol: 0, rtol: 0 });
    // A second graph adds on top of what is there.
    ag.sum(ag.mul(x, 3)).backward();
    expect(x.grad!).toBeAllclose([7, -5, 15], { atol: 0, rtol: 0 });
    zeroGrad([x]);
    expect(x.grad).toBeNull();
  });

  test('an upstream gradient weights the backward pass of a non-scalar output', () => {
    const x = f64([1, 2, 3], true);
    ag.mul(x, x).backward(f64([1, 0, -1]));
    expect(x.grad!).toBeAllclose([2, 0, -6], { atol: 0, rtol: 0 });
  });
});

describe('recording', () => {
  test('noGrad records nothing: results do not require grad and have no gradFn', () => {
    const x = f64([1, 2], true);
    const y = noGrad(() => ag.exp(ag.mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(ag.isGradEnabled()).toBe(true);
    expect(() => y.backward(f64([1, 1]))).toThrow(/does not require grad/);
  });

  test('noGrad restores grad mode after an exception', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ag.isGradEnabled()).toBe(true);
  });

  test('detach records nothing: the detached value shares data and blocks the gradient', () => {
    const x = f64([1, 2, 3], true);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.data).toBe(x.data);
    // y = x * detach(x): the gradient sees only the first factor, so dy/dx = detach(x), not 2x.
    const [g] = grad(ag.sum(ag.mul(x, d)), [x]);
    expect(g!).toBeAllclose([1, 2, 3], { atol: 0, rtol: 0 });
    // Through the detached value alone nothing is recorded: the result cannot be differentiated.
    const through = ag.sum(ag.mul(d, 2));
    expect(through.requiresGrad).toBe(false);
    expect(through.gradFn).toBeNull();
  });

  test('backward without createGraph stores plain gradients (no graph)', () => {
    const x = f64([1, 2], true);
    ag.sum(ag.exp(x)).backward();
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.gradFn).toBeNull();
  });
});

describe('createGraph: gradients of gradients', () => {
  test('f = x^3 + exp(x): first and second derivatives match 3x^2 + e^x and 6x + e^x', () => {
    fc.assert(
      fc.property(valuesArb(4), (v) => {
        const x = tensor(Float64Array.from(v), { dtype: 'float64', requiresGrad: true });
        const f = ag.sum(ag.add(ag.mul(ag.mul(x, x), x), ag.exp(x)));
        const [d1] = grad(f, [x], { createGraph: true });
        expect(d1!.requiresGrad).toBe(true);
        expect(d1!).toBeAllclose(
          v.map((u) => 3 * u * u + Math.exp(u)),
          { atol: 1e-12, rtol: 1e-12 },
        );
        const [d2] = grad(ag.sum(d1!), [x]);
        expect(d2!).toBeAllclose(
          v.map((u) => 6 * u + Math.exp(u)),
          { atol: 1e-12, rtol: 1e-12 },
        );
      }),
    );
  });

  test('mixed partial of f = x y^2 is 2y, through backward({ createGraph })', () => {
    const x = f64([1.5], true);
    const y = f64([-2], true);
    ag.sum(ag.mul(x, ag.mul(y, y))).backward(undefined, { createGraph: true });
    expect(x.grad!).toBeAllclose([4], { atol: 0, rtol: 0 });
    const [dxy] = grad(x.grad!, [y]);
    expect(dxy!).toBeAllclose([-4], { atol: 0, rtol: 0 });
  });

  test('the softmax Hessian-vector product matches central differences of the gradient', () => {
    // H v for L = <g, softmax(x)>: differentiate (dL/dx . v) again, against (dL/dx(x + eps v) - dL/dx(x - eps v)) / 2 eps.
    const x = f64([0.3, -1.2, 2.0, 0.5], true);
    const g = f64([1, -2, 0.5, 3]);
    const v = [0.2, 0.1, -0.4, 1];
    const dL = (t: Tensor): Tensor => grad(ag.sum(ag.mul(ag.softmax(t), g)), [t], { createGraph: true })[0]!;
    const [hv] = grad(ag.sum(ag.mul(dL(x), f64(v))), [x]);
    const eps = 1e-5;
    const at = (s: number): Float64Array =>
      dL(
        f64(
          Array.from(x.data, (u, i) => u + s * v[i]!),
          true,
        ),
      ).data as Float64Array;
    const plus = at(eps);
    const minus = at(-eps);
    expect(hv!).toBeAllclose(
      Array.from(plus, (p, i) => (p - minus[i]!) / (2 * eps)),
      { atol: 1e-8, rtol: 1e-6 },
    );
  });
});

describe('engine errors', () => {
  test('a second backward through a freed graph raises, naming the op', () => {
    const x = f64([1, 2], true);
    const y = ag.sum(ag.exp(x));
    y.backward();
    expect(() => y.backward()).toThrow("backward: trying to backward through the graph a second time (op 'sum')");
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  test('backward from a non-scalar output without an upstream gradient raises', () => {
    const x = f64([1, 2], true);
    expect(() => ag.exp(x).backward()).toThrow(
      'backward: a gradient can be created implicitly only for one-element outputs, got shape [2]',
    );
  });

  test('backward of an output of a non-differentiable op raises', () => {
    const x = f64([1, -2], true);
    for (const out of [ag.gt(x, 0), ag.sum(ag.sign(x)), ag.step(x)]) {
      expect(out.requiresGrad).toBe(false);
      expect(() => ag.sum(out).backward()).toThrow(/does not require grad.*non-differentiable/);
    }
  });

  test('grad() with allowUnused returns null for an unused input, and raises without it', () => {
    const x = f64([1, 2], true);
    const unused = f64([3], true);
    const y = ag.sum(ag.mul(x, x));
    const [gx, gu] = grad(y, [x, unused], { allowUnused: true, retainGraph: true });
    expect(gx!).toBeAllclose([2, 4], { atol: 0, rtol: 0 });
    expect(gu).toBeNull();
    expect(() => grad(y, [x, unused])).toThrow('grad: input 1 (shape [1]) was not used to compute the outputs; pass allowUnused: true');
  });

  test('grad() of an input that does not require grad raises', () => {
    const x = f64([1, 2], true);
    const c = f64([1, 2]);
    expect(() => grad(ag.sum(ag.mul(x, c)), [c])).toThrow('grad: input 0 (shape [2]) does not require grad');
  });

  // A custom primitive y = 2x whose backward is wrong in shape or dtype: the engine must refuse it.
  const doubling = (backwardResult: (g: Tensor, x: Tensor) => Tensor): Rule<Record<string, never>> => ({
    name: 'badDouble',
    forward: ([x]) => ({ data: x!.data.map((v) => 2 * v), shape: x!.shape }),
    backward: (g, { inputs: [x] }) => [backwardResult(g, x!)],
  });

  test('a rule that returns a wrongly-shaped gradient is caught, naming the op and both shapes', () => {
    const rule = doubling((g) => ag.reshape(ag.slice(g, [[0, 2]]), [2]));
    const x = f64([1, 2, 3], true);
    expect(() => ag.sum(apply(rule, [x], {})).backward()).toThrow(
      "backward: op 'badDouble' produced a gradient of shape [2] float64 for input 0 of shape [3] float64",
    );
  });

  test('a rule whose gradient has a higher rank that does not broadcast back is caught too', () => {
    const rule = doubling((g) => ag.expand(ag.reshape(g, [1, 3]), [2, 3]));
    const x = f64([[1, 2, 3]], true); // [1,3]: [2,3] broadcasts from it, so the engine legitimately sums it back
    ag.sum(apply(rule, [x], {})).backward();
    expect(x.grad!).toBeAllclose([[2, 2, 2]], { atol: 0, rtol: 0 });
    const wrong = doubling((g) => ag.expand(ag.reshape(g, [3, 1]), [3, 2]));
    const y = f64([1, 2, 3], true);
    expect(() => ag.sum(apply(wrong, [y], {})).backward()).toThrow(
      /op 'badDouble' produced a gradient of shape \[3,2\] float64 for input 0 of shape \[3\] float64/,
    );
  });

  test('a rule that returns a gradient of the wrong dtype is caught', () => {
    const rule = doubling((g) => ag.cast(ag.mul(g, 2), 'float32'));
    const x = f64([1, 2, 3], true);
    expect(() => ag.sum(apply(rule, [x], {})).backward()).toThrow(
      "op 'badDouble' produced a gradient of shape [3] float32 for input 0 of shape [3] float64",
    );
  });
});

describe('dtypes', () => {
  /** Every op case, run in float32 on a few samples: outputs and gradients stay float32 and near float64. */
  const ALL = { ...CASES, ...EXTRA_CASES };
  test.each(Object.keys(ALL))('%s keeps float32 in values and gradients', (name) => {
    const c = ALL[name as keyof typeof ALL]!;
    for (const s of fc.sample(c.sample, { numRuns: 5, seed: 7 })) {
      // An op without tensor inputs (oneHot) takes its dtype as an argument: nothing to preserve.
      if (s.inputs.length === 0) continue;
      const xs = s.inputs.map((x) => toTensor(x, 'float32'));
      const out = s.fn(...xs);
      expect(out.dtype).toBe('float32');
      const reference = s.reference(...s.refs());
      expect(out).toBeAllclose(tensor(reference.data, { shape: reference.shape, dtype: 'float64' }), { atol: 1e-5, rtol: 1e-4 });
      if (!c.differentiable || !out.requiresGrad) continue;
      const g = tensor(new Float32Array(out.size).fill(1), { shape: out.shape });
      const wrt = xs.filter((x) => x.requiresGrad);
      grad(out, wrt, { gradOutputs: [g], allowUnused: true }).forEach((gx, i) => {
        if (gx === null) return;
        expect(gx.dtype).toBe('float32');
        expect(gx.shape).toEqual(wrt[i]!.shape);
      });
    }
  });

  test('mixing float32 and float64 operands raises, naming both', () => {
    expect(() => ag.add(tensor([1, 2], { dtype: 'float32' }), f64([1, 2]))).toThrow('add: dtype mismatch (float32[2] vs float64[2])');
  });
});

describe('seeded randomness', () => {
  const draw = (seed: number, dtype: DType): Tensor[] => {
    const gen = new Generator(seed);
    return [ag.randn([3, 4], { generator: gen, dtype }), ag.rand([5], { generator: gen, dtype, low: -1, high: 2 })];
  };

  test.each(['float64', 'float32'] as const)('%s: the same seed gives bit-identical randn and rand; another seed does not', (dtype) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const [a1, b1] = draw(seed, dtype);
        const [a2, b2] = draw(seed, dtype);
        expect(a1!.data).toEqual(a2!.data);
        expect(b1!.data).toEqual(b2!.data);
        const [a3] = draw(seed + 1, dtype);
        expect(a3!.data).not.toEqual(a1!.data);
        expect(b1!.data.every((v) => v >= -1 && v < 2)).toBe(true);
      }),
    );
  });

  test('manualSeed makes the global generator reproducible, and dropout follows it', () => {
    ag.manualSeed(42);
    const first = ag.randn([4], { dtype: 'float64' });
    const drop1 = ag.dropout(ag.ones([8], { dtype: 'float64' }), 0.5);
    ag.manualSeed(42);
    expect(ag.randn([4], { dtype: 'float64' }).data).toEqual(first.data);
    expect(ag.dropout(ag.ones([8], { dtype: 'float64' }), 0.5).data).toEqual(drop1.data);
  });
});
