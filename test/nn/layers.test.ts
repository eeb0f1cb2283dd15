/**
 * Layers, one by one: forward values against straightforward float64 loops written here, and slow (full
 * Jacobian) gradchecks on tiny shapes with respect to the input and every parameter.
 */
import { describe, expect, test } from 'vitest';
import { Generator, gradcheckReport, describeReport, randn, type Tensor } from '../../src/autograd/index.js';
import { CausalSelfAttention, Embedding, LayerNorm, Linear, buildAttentionMask } from '../../src/nn/index.js';
import { maxAbsDiff } from './helpers.js';

const f64 = 'float64' as const;

function input(shape: number[], seed: number): Tensor {
  return randn(shape, { dtype: f64, generator: new Generator(seed), requiresGrad: true });
}

function expectGradcheck(fn: () => Tensor, inputs: Tensor[]): void {
  const report = gradcheckReport(fn, inputs);
  expect(report.ok, describeReport(report)).toBe(true);
}

/** Perturbs parameters away from their init (zeros and ones would hide mistakes in bias/affine terms). */
function jiggle(params: Tensor[], seed: number): void {
  const gen = new Generator(seed);
  for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! + gen.normal(0, 0.5);
}

describe('Linear', () => {
  test('y = x W^T + b against loops; weight stored [out, in]; biases start at zero', () => {
    const layer = new Linear(3, 2, { dtype: f64, generator: new Generator(1) });
    expect(layer.weight.shape).toEqual([2, 3]);
    expect(Array.from(layer.bias!.data)).toEqual([0, 0]);
    jiggle(layer.parameters(), 2);
    const x = input([2, 2, 3], 3);
    const y = layer.forward(x);
    expect(y.shape).toEqual([2, 2, 2]);
    const expected: number[] = [];
    for (let r = 0; r < 4; r++) {
      for (let o = 0; o < 2; o++) {
        let s = layer.bias!.data[o]!;
        for (let i = 0; i < 3; i++) s += x.data[r * 3 + i]! * layer.weight.data[o * 3 + i]!;
        expected.push(s);
      }
    }
    expect(maxAbsDiff(y.data, expected)).toBeLessThan(1e-14);
  });

  test('gradcheck w.r.t. input, weight and bias (slow mode)', () => {
    const layer = new Linear(3, 2, { dtype: f64, generator: new Generator(4) });
    jiggle(layer.parameters(), 5);
    const x = input([2, 3], 6);
    expectGradcheck(() => layer.forward(x), [x, ...layer.parameters()]);
  });

  test('without bias there is no bias parameter', () => {
    const layer = new Linear(3, 2, { dtype: f64, generator: new Generator(1), bias: false });
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  test('a wrong input width is a clear error', () => {
    const layer = new Linear(3, 2, { dtype: f64, generator: new Generator(1) });
    expect(() => layer.forward(input([2, 4], 1))).toThrow(/Linear: expected input \[\.\.\., 3\]/);
  });
});

describe('LayerNorm', () => {
  test('forward against loops (population variance, eps 1e-5), ones/zeros init', () => {
    const ln = new LayerNorm(4, f64);
    expect(Array.from(ln.weight.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(ln.bias.data)).toEqual([0, 0, 0, 0]);
    jiggle(ln.parameters(), 7);
    const x = input([3, 4], 8);
    const y = ln.forward(x);
    const expected: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = Array.from(x.data.subarray(r * 4, r * 4 + 4));
      const mu = row.reduce((a, b) => a + b, 0) / 4;
      const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
      row.forEach((xi, i) => expected.push(((xi - mu) / Math.sqrt(v + 1e-5)) * ln.weight.data[i]! + ln.bias.data[i]!));
    }
    expect(maxAbsDiff(y.data, expected)).toBeLessThan(1e-13);
  });

  test('gradcheck w.r.t. input, weight and bias (slow mode)', () => {
    const ln = new LayerNorm(4, f64);
    jiggle(ln.parameters(), 9);
    const x = input([2, 4], 10);
    expectGradcheck(() => ln.forward(x), [x, ...ln.parameters()]);
  });
});

describe('Embedding', () => {
  test('rows of the table by id; gradcheck (repeated ids accumulate)', () => {
    const emb = new Embedding(5, 3, { dtype: f64, generator: new Generator(11) });
    const ids = Int32Array.from([4, 0, 4, 2]);
    const y = emb.forward(ids, [2, 2]);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(Array.from(y.data.subarray(0, 3))).toEqual(Array.from(emb.weight.data.subarray(12, 15)));
    expectGradcheck(() => emb.forward(ids, [2, 2]), [emb.weight]);
  });
});

/** Naive causal multi-head attention with a key padding mask, in float64 loops. */
function referenceAttention(layer: CausalSelfAttention, x: Tensor, keyValid: number[][]): number[] {
  const [B, T, C] = x.shape as [number, number, number];
  const H = layer.heads;
  const D = C / H;
  const W = layer.qkv.weight.data;
  const bq = layer.qkv.bias!.data;
  const qkv = (b: number, t: number, o: number): number => {
    let s = bq[o]!;
    for (let i = 0; i < C; i++) s += x.data[(b * T + t) * C + i]! * W[o * C + i]!;
    return s;
  };
  const y = new Array<number>(B * T * C).fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += qkv(b, t, h * D + d) * qkv(b, j, C + h * D + d);
          scores.push(j <= t && keyValid[b]![j] === 1 ? s / Math.sqrt(D) : -Infinity);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - m)));
        const z = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < D; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += (e[j]! / z) * qkv(b, j, 2 * C + h * D + d);
          y[(b * T + t) * C + h * D + d] = s;
        }
      }
    }
  }
  const P = layer.proj.weight.data;
  const out: number[] = [];
  for (let r = 0; r < B * T; r++) {
    for (let o = 0; o < C; o++) {
      let s = layer.proj.bias!.data[o]!;
      for (let i = 0; i < C; i++) s += y[r * C + i]! * P[o * C + i]!;
      out.push(s);
    }
  }
  return out;
}

describe('CausalSelfAttention', () => {
  const make = (seed: number): CausalSelfAttention => {
    const layer = new CausalSelfAttention(4, 2, { dtype: f64, generator: new Generator(seed), std: 0.5 });
    jiggle(layer.parameters(), seed + 100);
    return layer;
  };
  const context = (keyValid: number[][], T: number) => ({
    allowed: buildAttentionMask(keyValid, T, f64),
    cache: null,
    generator: new Generator(0),
  });

  test('forward equals naive loops: scores scaled by 1/sqrt(headDim), causal mask, key padding mask', () => {
    const layer = make(12);
    const x = input([2, 3, 4], 13);
    for (const keyValid of [
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
      [
        [0, 1, 1],
        [1, 0, 1],
      ],
    ]) {
      const y = layer.forward(x, context(keyValid, 3));
      // Rows whose query sees no real key are padding positions; the reference gives them NaN (0/0) and
      // the layer a finite uniform average. Compare the others.
      const ref = referenceAttention(layer, x, keyValid);
      const keep = ref.map((v, i) => (Number.isNaN(v) ? NaN : y.data[i]!)).filter((v) => !Number.isNaN(v));
      expect(
        maxAbsDiff(
          keep,
          ref.filter((v) => !Number.isNaN(v)),
        ),
      ).toBeLessThan(1e-13);
    }
  });

  test('a fully masked query row gives finite outputs, not NaN', () => {
    const layer = make(14);
    const x = input([1, 3, 4], 15);
    const y = layer.forward(x, context([[0, 0, 1]], 3));
    expect(y.data.every(Number.isFinite)).toBe(true);
  });

  test('gradcheck w.r.t. input and every parameter (slow mode), with and without padding', () => {
    const layer = make(16);
    const x = input([2, 3, 4], 17);
    expectGradcheck(
      () =>
        layer.forward(
          x,
          context(
            [
              [1, 1, 1],
              [1, 1, 1],
            ],
            3,
          ),
        ),
      [x, ...layer.parameters()],
    );
    expectGradcheck(
      () =>
        layer.forward(
          x,
          context(
            [
              [0, 1, 1],
              [1, 1, 0],
            ],
            3,
          ),
        ),
      [x, ...layer.parameters()],
    );
  });

  test('width not divisible by heads is a clear error', () => {
    expect(() => new CausalSelfAttention(6, 4, { dtype: f64, generator: new Generator(0) })).toThrow(/not divisible by 4 heads/);
  });
});
