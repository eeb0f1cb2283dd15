/**
 * Two engine properties the op suite's gradchecks cannot see:
 *
 * 1. Each subset of an op's inputs requiring grad. A backward rule that computes one input's gradient only
 *    when another input requires grad (a frozen weight, where(mask, constant, x)) throws or gives a wrong
 *    gradient once the other input is a constant. For every multi-input op (the op table's cases, the extra
 *    cases, the fused ops), every subset of its inputs is made to require grad, and the gradients of that
 *    subset must equal those of the run where every input requires grad; with no input requiring grad the
 *    output must not require grad.
 * 2. PyTorch's leaf semantics: after backward() only leaves that require grad hold .grad (intermediates
 *    neither get nor accumulate one), and each intermediate gradient is dropped as soon as it has been used,
 *    so a long chain never holds more than a few gradients at once.
 */
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { apply, tensor, type Rule, type Tensor } from '../../src/autograd/index.js';
import { allclose } from '../helpers/allclose.js';
import '../helpers/allclose.js';
import type { OpCase } from '../helpers/op-case.js';
import { OpSample, specArb } from '../helpers/op-case.js';
import type { TensorSpec } from '../helpers/generators.js';
import { CASES } from './op-cases.js';
import { EXTRA_CASES } from './op-cases-extra.js';

const RUNS = { numRuns: 20 };

/** The fused ops with more than one tensor input (their single-input forms are covered by fused.test.ts). */
const FUSED_CASES: Record<string, OpCase> = {
  linearFused: {
    differentiable: true,
    sample: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .chain(([m, k, n]) => fc.tuple(specArb([m, k]), specArb([n, k]), specArb([n])))
      .map(
        ([x, w, b]) =>
          new OpSample(
            'linearFused',
            [x, w, b],
            (xt, wt, bt) => ag.linearFused(xt, wt, bt),
            () => {
              throw new Error('no reference: only gradients are compared here');
            },
          ),
      ),
  },
  layerNormFused: {
    differentiable: true,
    sample: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }))
      .chain(([r, c]) => fc.tuple(specArb([r, c]), specArb([c]), specArb([c])))
      .map(
        ([x, w, b]) =>
          new OpSample(
            'layerNormFused',
            [x, w, b],
            (xt, wt, bt) => ag.layerNormFused(xt, wt, bt),
            () => {
              throw new Error('no reference');
            },
          ),
      ),
  },
};

const ALL: Record<string, OpCase> = { ...CASES, ...EXTRA_CASES, ...FUSED_CASES };

/** Gradients of <fn(inputs), upstream> for the inputs whose flag is set; null when the output needs none. */
function gradsFor(sample: OpSample, flags: readonly boolean[], upstreamSeed: number): { requiresGrad: boolean; grads: Tensor[] } {
  const inputs = sample.inputs.map((s: TensorSpec, i) => tensor(s.values, { shape: s.shape, dtype: 'float64', requiresGrad: flags[i]! }));
  const out = sample.fn(...inputs);
  const wrt = inputs.filter((_, i) => flags[i]);
  if (wrt.length === 0) return { requiresGrad: out.requiresGrad, grads: [] };
  // An output that does not depend on the chosen inputs' values (expandAs's `like`) has zero gradients for them.
  if (!out.requiresGrad) return { requiresGrad: false, grads: wrt.map((t) => ag.zeros(t.shape, { dtype: 'float64' })) };
  const gen = new ag.Generator(upstreamSeed);
  const upstream = tensor(
    Array.from({ length: out.size }, () => gen.uniform(-1, 1)),
    { shape: out.shape, dtype: 'float64' },
  );
  const grads = ag.grad(out, wrt, { gradOutputs: [upstream], allowUnused: true });
  return { requiresGrad: out.requiresGrad, grads: grads.map((g, k) => g ?? ag.zeros(wrt[k]!.shape, { dtype: 'float64' })) };
}

/** Every subset of n inputs, as flags (the full set last). */
function subsets(n: number): boolean[][] {
  return Array.from({ length: 2 ** n }, (_, m) => Array.from({ length: n }, (_, i) => ((m >> i) & 1) === 1));
}

const multiInput = Object.entries(ALL).filter(([, c]) => c.differentiable);

describe('every subset of an op’s inputs may require grad', () => {
  test.each(multiInput.map(([name]) => name))('%s: each subset gets the gradients the full set gets', (name) => {
    const c = ALL[name]!;
    let multi = 0;
    fc.assert(
      fc.property(c.sample, fc.integer({ min: 0, max: 2 ** 30 }), (sample, seed) => {
        const n = sample.inputs.length;
        if (n < 2) return;
        multi++;
        const full = gradsFor(
          sample,
          sample.inputs.map(() => true),
          seed,
        );
        for (const flags of subsets(n)) {
          const part = gradsFor(sample, flags, seed);
          if (!flags.some(Boolean)) {
            expect(part.requiresGrad, `${sample.label}: no input requires grad`).toBe(false);
            continue;
          }
          const fullOfSubset = full.grads.filter((_, i) => flags[i]);
          part.grads.forEach((g, k) => {
            const check = allclose(g, fullOfSubset[k]!, { atol: 1e-12, rtol: 1e-12 });
            if (!check.ok)
              throw new Error(`${sample.label} with inputs ${JSON.stringify(flags)} requiring grad, gradient ${k}: ${check.message}`);
          });
        }
      }),
      RUNS,
    );
    // Ops whose samples are all single-input have nothing to check here; the others must have drawn some.
    if (['concat', 'stack', 'matmul', 'where', 'scatter', 'add', 'mul', 'linearFused'].includes(name)) expect(multi).toBeGreaterThan(0);
  });
});

describe('minimum and maximum at a tie: half the gradient to each operand, first or second', () => {
  const tieGrads = (fn: (a: ag.TensorLike, b: ag.TensorLike) => Tensor, flags: readonly [boolean, boolean]) => {
    const a = tensor([1, 2, 0], { dtype: 'float64', requiresGrad: flags[0] });
    const b = tensor([1, 1, 1], { dtype: 'float64', requiresGrad: flags[1] });
    const wrt = [a, b].filter((_, i) => flags[i]);
    return ag.grad(ag.sum(fn(a, b)), wrt).map((g) => g!.toFlatArray());
  };

  test('maximum(a, b): a gets [1/2, 1, 0], b gets [1/2, 0, 1], whichever requires grad', () => {
    expect(tieGrads(ag.maximum, [true, true])).toEqual([
      [0.5, 1, 0],
      [0.5, 0, 1],
    ]);
    expect(tieGrads(ag.maximum, [false, true])).toEqual([[0.5, 0, 1]]);
    expect(tieGrads(ag.maximum, [true, false])).toEqual([[0.5, 1, 0]]);
  });

  test('minimum(a, b): a gets [1/2, 0, 1], b gets [1/2, 1, 0], whichever requires grad', () => {
    expect(tieGrads(ag.minimum, [true, true])).toEqual([
      [0.5, 0, 1],
      [0.5, 1, 0],
    ]);
    expect(tieGrads(ag.minimum, [false, true])).toEqual([[0.5, 1, 0]]);
    expect(tieGrads(ag.minimum, [true, false])).toEqual([[0.5, 0, 1]]);
  });

  test('a number on either side: the tensor gets half at the tie', () => {
    const x = () => tensor([1, 2, 0], { dtype: 'float64', requiresGrad: true });
    const g = (f: (t: Tensor) => Tensor): number[] => {
      const t = x();
      ag.sum(f(t)).backward();
      return t.grad!.toFlatArray();
    };
    expect(g((t) => ag.maximum(1, t))).toEqual([0.5, 1, 0]);
    expect(g((t) => ag.minimum(1, t))).toEqual([0.5, 0, 1]);
  });
});

describe('leaf semantics after backward (PyTorch’s)', () => {
  test('only leaves that require grad hold .grad; intermediates and constants hold none, over two passes', () => {
    const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const c = tensor([3, 4], { dtype: 'float64' });
    const h = ag.mul(w, c);
    const y = ag.exp(h);
    const loss = ag.sum(y);
    expect(h.isLeaf).toBe(false);
    loss.backward(undefined, { retainGraph: true });
    expect(w.grad).toBeAllclose([3 * Math.exp(3), 4 * Math.exp(8)]);
    expect([c.grad, h.grad, y.grad, loss.grad]).toEqual([null, null, null, null]);
    // A second pass accumulates into the leaf only.
    loss.backward();
    expect(w.grad).toBeAllclose([6 * Math.exp(3), 8 * Math.exp(8)]);
    expect([c.grad, h.grad, y.grad, loss.grad]).toEqual([null, null, null, null]);
  });

  test('the stored .grad is a plain value: it does not require grad and records no graph (without createGraph)', () => {
    const w = tensor([0.5], { dtype: 'float64', requiresGrad: true });
    ag.sum(ag.mul(w, w)).backward();
    expect(w.grad!.requiresGrad).toBe(false);
    expect(w.grad!.gradFn).toBeNull();
  });

  test('a long chain never holds more than a few intermediate gradients at once', () => {
    // Full, synchronous garbage collection inside the sweep (the runtime's own, exposed for this test).
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const SIZE = 1 << 18; // 2 MiB of float64 per gradient
    const CHAIN = 24;
    let peak = 0;
    let base = 0;
    // An identity op whose backward measures the memory held by typed arrays after a full collection.
    const probe: Rule<Record<string, never>> = {
      name: 'probe',
      forward: ([x]) => ({ data: x!.data.slice(), shape: x!.shape }),
      backward: (g) => {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
        return [ag.mul(g, 1)];
      },
    };
    const x = ag.zeros([SIZE], { dtype: 'float64', requiresGrad: true });
    let y = x;
    for (let i = 0; i < CHAIN; i++) y = apply(probe, [y], {});
    const loss = ag.sum(y);
    gc();
    base = process.memoryUsage().arrayBuffers;
    loss.backward();
    // The forward's CHAIN activations are in `base`; gradients held at once during the sweep: the one being
    // consumed and the ones just made (plus the expand of the seed). Without freeing, all CHAIN of them.
    expect(peak / (8 * SIZE)).toBeLessThan(4);
    expect(x.grad!.size).toBe(SIZE);
  });
});
