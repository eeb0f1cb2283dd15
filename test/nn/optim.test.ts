/**
 * Optimisers against hand-computed updates: literal numbers worked out in the comments, and for longer runs an
 * independent float64 re-statement of the textbook formulas (Adam with bias-corrected m_hat, v_hat; PyTorch's
 * SGD), compared step by step. Plus: resumable state, skipped parameters, and gradient clipping.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { add, sum, tensor, type Tensor } from '../../src/autograd/index.js';
import { AdamW, SGD, clipGradNorm, weightDecayGroups } from '../../src/nn/index.js';
import { tinyGPT } from './helpers.js';

function param(values: number[]): Tensor {
  return tensor(values, { dtype: 'float64', requiresGrad: true });
}

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: 'float64' });
}

describe('AdamW', () => {
  test('first two steps with a constant gradient, by hand', () => {
    // p = 1, g = 0.5, lr = 0.1, wd = 0.1. Decay first: p <- p (1 - lr wd) = 0.99 p.
    // Step 1: m = 0.1 g = 0.05, v = 0.001 g^2; m_hat = g, v_hat = g^2: update lr g / (|g| + eps).
    // Step 2: m = 0.9 * 0.05 + 0.1 * 0.5 = 0.095, m_hat = 0.095 / 0.19 = 0.5; v_hat = g^2 again: same update.
    const p = param([1]);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
    const update = (0.1 * 0.5) / (0.5 + 1e-8);
    setGrad(p, [0.5]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.99 - update, 14);
    opt.step();
    expect(p.data[0]).toBeCloseTo((0.99 - update) * 0.99 - update, 14);
  });

  test('matches the textbook formula for varying gradients (property over hyperparameters)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }).map((k) => k / 1000), // lr
        fc.constantFrom(0.8, 0.9, 0.95),
        fc.constantFrom(0.99, 0.999),
        fc.constantFrom(0, 0.01, 0.1),
        fc.array(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        (lr, beta1, beta2, weightDecay, gradSteps) => {
          const p = param([0.5, -1, 2]);
          const opt = new AdamW([p], { lr, betas: [beta1, beta2], weightDecay, eps: 1e-8 });
          const x = [0.5, -1, 2];
          const m = [0, 0, 0];
          const v = [0, 0, 0];
          gradSteps.forEach((raw, k) => {
            const g = raw.map((r) => r / 10);
            setGrad(p, g);
            opt.step();
            const t = k + 1;
            for (let i = 0; i < 3; i++) {
              x[i] = x[i]! - lr * weightDecay * x[i]!;
              m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
              v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! ** 2;
              const mHat = m[i]! / (1 - beta1 ** t);
              const vHat = v[i]! / (1 - beta2 ** t);
              x[i] = x[i]! - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
            }
          });
          return x.every((xi, i) => Math.abs(xi - p.data[i]!) < 1e-12);
        },
      ),
    );
  });

  test('a parameter without a gradient is skipped, and its step count does not advance', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0.5 });
    setGrad(a, [1]);
    opt.step();
    expect(b.data[0]).toBe(1);
    expect(opt.getState().buffers['step.1']).toBeUndefined();
    expect(opt.getState().buffers['step.0']!.data[0]).toBe(1);
  });

  test('getState / setState resumes bit-identically', () => {
    const grads = [
      [0.3, -0.2],
      [0.1, 0.4],
      [-0.5, 0.2],
      [0.05, -0.1],
      [0.2, 0.2],
    ];
    const a = param([1, 2]);
    const optA = new AdamW([a], { lr: 0.05 });
    grads.slice(0, 3).forEach((g) => (setGrad(a, g), optA.step()));
    const saved = optA.getState();
    const b = param(Array.from(a.data));
    const optB = new AdamW([b], { lr: 0.05 });
    optB.setState(saved);
    grads.slice(3).forEach((g) => {
      setGrad(a, g);
      optA.step();
      setGrad(b, g);
      optB.step();
    });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  test('setState rejects a state of the wrong kind or shape and changes nothing', () => {
    const p = param([1, 2]);
    const opt = new AdamW([p]);
    const sgdState = new SGD([param([1])], { lr: 1 }).getState();
    expect(() => opt.setState(sgdState)).toThrow(/the state is for 'SGD'/);
    expect(() => opt.setState({ type: 'AdamW', lr: 1e-3, buffers: { 'exp_avg.0': tensor([1, 2, 3], { dtype: 'float64' }) } })).toThrow(
      /buffer 'exp_avg\.0'/,
    );
    expect(() => opt.setState({ type: 'AdamW', lr: 1e-3, buffers: { 'exp_avg.5': tensor([1, 2], { dtype: 'float64' }) } })).toThrow(
      /unexpected buffer 'exp_avg\.5'/,
    );
    expect(opt.getState().buffers).toEqual({});
  });
});

describe('SGD', () => {
  test('momentum 0.9, by hand', () => {
    // lr 0.1, grads 1, 2, 3. buf: 1, 0.9 + 2 = 2.9, 2.61 + 3 = 5.61. p: 1 - 0.1 = 0.9, 0.9 - 0.29 = 0.61, 0.61 - 0.561 = 0.049.
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const expected = [0.9, 0.61, 0.049];
    [1, 2, 3].forEach((g, k) => {
      setGrad(p, [g]);
      opt.step();
      expect(p.data[0]).toBeCloseTo(expected[k]!, 14);
    });
  });

  test('plain SGD with weight decay, by hand: p <- p - lr (g + wd p)', () => {
    const p = param([2]);
    const opt = new SGD([p], { lr: 0.5, weightDecay: 0.1 });
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(2 - 0.5 * (1 + 0.2), 15);
  });

  test("matches PyTorch's formula with dampening, weight decay and Nesterov (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.01, 0.1),
        fc.constantFrom(0.5, 0.9),
        fc.constantFrom(0, 0.3),
        fc.constantFrom(0, 0.05),
        fc.boolean(),
        fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 1, maxLength: 6 }),
        (lr, momentum, dampening0, weightDecay, nesterov, grads) => {
          const dampening = nesterov ? 0 : dampening0;
          const p = param([1.5]);
          const opt = new SGD([p], { lr, momentum, dampening, weightDecay, nesterov });
          let x = 1.5;
          let buf: number | null = null;
          for (const raw of grads) {
            const g = raw / 4;
            setGrad(p, [g]);
            opt.step();
            let d = g + weightDecay * x;
            buf = buf === null ? d : momentum * buf + (1 - dampening) * d;
            d = nesterov ? d + momentum * buf : buf;
            x -= lr * d;
          }
          return Math.abs(x - p.data[0]!) < 1e-13;
        },
      ),
    );
  });
});

describe('clipGradNorm', () => {
  test('returns the global norm and scales every gradient by maxNorm / (norm + 1e-6)', () => {
    const a = param([0, 0]);
    const b = param([0]);
    setGrad(a, [3, 0]);
    setGrad(b, [4]);
    expect(clipGradNorm([a, b], 1)).toBe(5);
    const c = 1 / (5 + 1e-6);
    expect(Array.from(a.grad!.data)).toEqual([3 * c, 0]);
    expect(Array.from(b.grad!.data)).toEqual([4 * c]);
  });

  test('leaves gradients alone under the limit', () => {
    const a = param([0]);
    setGrad(a, [0.5]);
    const g = a.grad;
    expect(clipGradNorm([a], 1)).toBe(0.5);
    expect(a.grad).toBe(g);
  });

  test('gradients that share storage are each scaled once', () => {
    // d(sum(a + b))/da and /db are the same tensor in the engine: in-place scaling would scale it twice.
    const a = param([1, 1]);
    const b = param([1, 1]);
    sum(add(a, b)).backward();
    const norm = clipGradNorm([a, b], 1);
    expect(norm).toBe(2);
    const c = 1 / (2 + 1e-6);
    expect(Array.from(a.grad!.data)).toEqual([c, c]);
    expect(Array.from(b.grad!.data)).toEqual([c, c]);
  });
});

test('weightDecayGroups: matrices decay, vectors do not', () => {
  const model = tinyGPT(0);
  const [decay, none] = weightDecayGroups(model, 0.1);
  expect(decay!.params.every((p) => p.ndim === 2)).toBe(true);
  expect(none!.params.every((p) => p.ndim === 1)).toBe(true);
  expect(decay!.params.length + none!.params.length).toBe(model.parameters().length);
});
