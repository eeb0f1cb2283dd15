/**
 * The cpu backend's fast paths (broadcast patterns read with strides, block reductions, run-copying permute,
 * the dot-product matmul) against plain per-element definitions written here, independent of the backend's
 * offsets tables: same values, bit for bit in float64.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/autograd/index.js';
import { broadcastPattern } from '../../src/autograd/backend/cpu/strided.js';
import { broadcastPairArb, shapeArb, sizeOf } from '../helpers/generators.js';

/** Row-major multi-index of flat index i in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let ax = shape.length - 1; ax >= 0; ax--) {
    idx[ax] = i % shape[ax]!;
    i = Math.floor(i / shape[ax]!);
  }
  return idx;
}

/** Flat index into `shape` of the output multi-index `idx` (broadcast: size-1 dims read index 0). */
function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length;
  let flat = 0;
  for (let ax = 0; ax < shape.length; ax++) flat = flat * shape[ax]! + (shape[ax] === 1 ? 0 : idx[lead + ax]!);
  return flat;
}

const values = (n: number, seed: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 201) / 50 - 2);

describe('cpu backend fast paths agree with per-element definitions', () => {
  it('binary ops with every broadcast pattern (same, scalar, tile, repeat, general)', () => {
    const ops = ['add', 'sub', 'mul', 'div', 'maximum', 'pow'] as const;
    fc.assert(
      fc.property(broadcastPairArb({ maxSize: 48 }), fc.constantFrom(...ops), ([as, bs, out], op) => {
        const a = values(sizeOf(as), 1);
        const b = values(sizeOf(bs), 2).map((v) => (op === 'div' || op === 'pow' ? Math.abs(v) + 0.5 : v));
        const got = cpuBackend.binary(op, a, as, b, bs, out);
        const f = {
          add: (x: number, y: number) => x + y,
          sub: (x: number, y: number) => x - y,
          mul: (x: number, y: number) => x * y,
          div: (x: number, y: number) => x / y,
          maximum: Math.max,
          pow: Math.pow,
        }[op];
        for (let i = 0; i < sizeOf(out); i++) {
          const idx = unravel(i, out);
          expect(got[i]).toBe(f(a[broadcastIndex(idx, as)]!, b[broadcastIndex(idx, bs)]!));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('classifies the bias add and the row statistic patterns', () => {
    expect(broadcastPattern([64], [512, 64])).toEqual({ kind: 'tile', inner: 64 });
    expect(broadcastPattern([1, 3, 1], [2, 3, 4]).kind).toBe('general');
    expect(broadcastPattern([512, 1], [512, 64])).toEqual({ kind: 'repeat', inner: 64 });
    expect(broadcastPattern([2, 1, 1], [2, 3, 4])).toEqual({ kind: 'repeat', inner: 12 });
    expect(broadcastPattern([], [2, 3])).toEqual({ kind: 'scalar' });
  });

  it('sum, max and min over any axes equal a per-element reduction', () => {
    const axesArb = shapeArb({ minRank: 1, maxSize: 60 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.subarray(
          shape.map((_, i) => i),
          { minLength: 1 },
        ),
      ),
    );
    fc.assert(
      fc.property(axesArb, fc.constantFrom('sum', 'max', 'min' as const), ([shape, axes], op) => {
        const x = values(sizeOf(shape), 3);
        const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const expected = new Float64Array(sizeOf(keep)).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
        for (let i = 0; i < x.length; i++) {
          const j = broadcastIndex(unravel(i, shape), keep);
          expected[j] = op === 'sum' ? expected[j]! + x[i]! : op === 'max' ? Math.max(expected[j]!, x[i]!) : Math.min(expected[j]!, x[i]!);
        }
        const got = cpuBackend.reduce(op, x, shape, axes);
        // Sums may associate differently (float64 partial sums): equal to rounding.
        for (let j = 0; j < expected.length; j++) expect(Math.abs(got[j]! - expected[j]!)).toBeLessThanOrEqual(1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('permute equals reading every element through the permuted strides', () => {
    const permArb = shapeArb({ minRank: 1, maxRank: 5, maxSize: 120 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.shuffledSubarray(
          shape.map((_, i) => i),
          { minLength: shape.length, maxLength: shape.length },
        ),
      ),
    );
    fc.assert(
      fc.property(permArb, ([shape, perm]) => {
        const x = values(sizeOf(shape), 4);
        const outShape = perm.map((p) => shape[p]!);
        const got = cpuBackend.permute(x, shape, perm);
        for (let i = 0; i < x.length; i++) {
          const idx = unravel(i, outShape);
          const src = new Array<number>(shape.length);
          perm.forEach((p, ax) => (src[p] = idx[ax]!));
          expect(got[i]).toBe(x[broadcastIndex(src, shape)]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('matmul with each transpose flag equals the triple loop', () => {
    const dims = fc.tuple(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      fc.boolean(),
    );
    fc.assert(
      fc.property(dims, ([m, k, n, transA, transB]) => {
        const a = values(m * k, 5);
        const b = values(k * n, 6);
        const got = cpuBackend.matmul({ a, b, aBatch: [], bBatch: [], batchShape: [], m, k, n, transA, transB });
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (transA ? a[p * m + i]! : a[i * k + p]!) * (transB ? b[j * k + p]! : b[p * n + j]!);
            expect(Math.abs(got[i * n + j]! - s)).toBeLessThanOrEqual(1e-12);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
