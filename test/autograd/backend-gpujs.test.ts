/**
 * The gpujs backend against the cpu reference. Every gpu.js kernel (matmul, reduce, softmax rows, log-sum-exp
 * rows) runs on random shapes (size-1 dims, odd sizes, transposes, broadcast batches) with float32 inputs and
 * is compared with the cpu backend run in float64 on the same values, within float32 rounding: 1e-5 relative
 * to the magnitude of the terms (for a matmul entry, 1e-5 * sum_p |a_ip| |b_pj|).
 *
 * The backends under test route nothing to cpu (all thresholds 0), so even tiny shapes exercise the kernels;
 * one test checks the default routing separately. fast-check's seed is fixed in test/setup.ts (FC_SEED
 * overrides it) and printed with any counterexample.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { Backend, MatmulArgs, ReduceOp } from '../../src/autograd/backend/backend.js';
import { cpuBackend } from '../../src/autograd/backend/index.js';
import { createGpujsBackend, DEFAULT_ROUTING, gpujsInfo, type GpujsBackend, type GpujsRouting } from '../../src/autograd/backend/index.js';
import { getBackend, useBackend, withBackend } from '../../src/autograd/backend/index.js';
import { matmul } from '../../src/autograd/ops/index.js';
import { tensor } from '../../src/autograd/creation.js';

const KERNELS_ONLY: GpujsRouting = { minMatmulMacs: 0, minMatmulRows: 0, minMatmulK: 0, minRowElements: 0, minSoftmaxElements: 0 };
const webasm = createGpujsBackend({ routing: KERNELS_ONLY });
// gpu.js's own cpu mode: what runs where WebAssembly cannot (and what gpu.js degrades a kernel to).
const gpujsCpuMode = createGpujsBackend({ mode: 'cpu', routing: KERNELS_ONLY });
const BACKENDS: [string, GpujsBackend][] = [
  ['webasm', webasm],
  ['gpu.js cpu mode', gpujsCpuMode],
];

afterAll(() => {
  webasm.destroy();
  gpujsCpuMode.destroy();
});

const RTOL = 1e-5;
const sizeOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

/** Deterministic float32 values in [lo, hi) from a seed (mulberry32), so a counterexample is its seed. */
function values(seed: number, n: number, lo = -2, hi = 2): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

const abs64 = (x: ArrayLike<number>): Float64Array => Float64Array.from(x, Math.abs);

/** Asserts |actual - expected| <= scale * RTOL + atol elementwise (NaN matches NaN, infinities match exactly). */
function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: ArrayLike<number> | number,
  atol = 0,
  label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      expect(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${label}[${i}]: got ${a}, expected ${e}`).toBe(true);
      continue;
    }
    const tol = (typeof scale === 'number' ? scale : scale[i]!) * RTOL + atol;
    if (!(Math.abs(a - e) <= tol)) {
      expect.fail(`${label}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > tol ${tol})`);
    }
  }
}

// ------------------------------------------------------------------------------------------------- shapes

const dim = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 9 }) }, { weight: 1, arbitrary: fc.integer({ min: 10, max: 21 }) });
/**
 * The inner dimension also reaches both sides of the matmul kernel's MATMUL_STRAIGHT_K (32): written out
 * whole up to it, an unrolled loop plus a written-out remainder past it.
 */
const innerDim = fc.oneof({ weight: 3, arbitrary: dim }, { weight: 1, arbitrary: fc.integer({ min: 30, max: 45 }) });

/** A batch shape and two operand batch shapes that broadcast to it (dims dropped or set to 1). */
const batchArb = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 })
  .chain((target) => {
    const derived = fc
      .tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
      .map(([drop, ones]) => target.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(derived, derived);
  })
  .map(([aBatch, bBatch]) => {
    const rank = Math.max(aBatch.length, bBatch.length);
    const batchShape = Array.from({ length: rank }, (_, i) => {
      const da = aBatch[aBatch.length - rank + i] ?? 1;
      const db = bBatch[bBatch.length - rank + i] ?? 1;
      return da === 1 ? db : da;
    });
    return { aBatch, bBatch, batchShape };
  });

const matmulCaseArb: fc.Arbitrary<MatmulCase> = fc.record({
  m: dim,
  k: innerDim,
  n: dim,
  transA: fc.boolean(),
  transB: fc.boolean(),
  batch: batchArb,
  seed: fc.integer(),
});

interface MatmulCase {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  batch: { aBatch: number[]; bBatch: number[]; batchShape: number[] };
  seed: number;
}

function matmulArgs(c: MatmulCase): MatmulArgs {
  const { m, k, n, transA, transB, batch, seed } = c;
  return {
    a: values(seed, sizeOf(batch.aBatch) * m * k),
    b: values(seed + 1, sizeOf(batch.bBatch) * k * n),
    ...batch,
    m,
    k,
    n,
    transA,
    transB,
  };
}

/** The float64 reference and the error scale sum_p |a||b| of a float32 matmul. */
function matmulReference(args: MatmulArgs): { expected: Float64Array; scale: Float64Array } {
  const expected = cpuBackend.matmul({ ...args, a: Float64Array.from(args.a), b: Float64Array.from(args.b) });
  const scale = cpuBackend.matmul({ ...args, a: abs64(args.a), b: abs64(args.b) });
  if (!(expected instanceof Float64Array) || !(scale instanceof Float64Array)) throw new Error('float64 reference expected');
  return { expected, scale };
}

const reduceCaseArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
    op: fc.constantFrom<ReduceOp>('sum', 'max', 'min'),
    pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    seed: fc.integer(),
  })
  .map(({ shape, op, pick, seed }) => {
    const axes = shape.map((_, i) => i).filter((i) => pick[i]);
    return { shape, op, axes: axes.length > 0 ? axes : [shape.length - 1], seed };
  });

const rowsCaseArb = fc.record({
  rows: dim,
  cols: dim,
  // Shifted ranges (tinygrad's low=300/high=400 idea): a stable kernel must not care.
  shift: fc.constantFrom(0, 1000, -1000),
  spread: fc.constantFrom(1, 10, 40),
  seed: fc.integer(),
});

// -------------------------------------------------------------------------------------------------- parity

describe.each(BACKENDS)('gpujs backend (%s) agrees with the cpu reference', (_name, backend) => {
  test('matmul: batched, transposed, broadcast batches, within 1e-5 * sum|a||b|', () => {
    fc.assert(
      fc.property(matmulCaseArb, (c) => {
        const args = matmulArgs(c);
        const out = backend.matmul(args);
        expect(out).toBeInstanceOf(Float32Array);
        const { expected, scale } = matmulReference(args);
        expectClose(out, expected, scale, 1e-30, 'matmul');
      }),
      { numRuns: backend === webasm ? 120 : 40 },
    );
  });

  // The random batch shapes rarely make both operands partly broadcast, which is when the kernel finds an
  // operand's batch through a lookup table (and each operand is a 3-D view); these cases always do.
  test.each([
    [5, 3, 7],
    [4, 40, 6],
  ])('matmul with both operands partly broadcast (batch lookup tables), m %i k %i n %i', (m, k, n) => {
    const batch = { aBatch: [3, 1], bBatch: [1, 2], batchShape: [3, 2] };
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const args = matmulArgs({ m, k, n, transA, transB, batch, seed: m * 100 + k });
        const { expected, scale } = matmulReference(args);
        expectClose(backend.matmul(args), expected, scale, 1e-30, `matmul transA ${transA} transB ${transB}`);
      }
    }
  });

  test('reduce sum/max/min over any axes: sum within 1e-5 * sum|x|, max and min exact', () => {
    fc.assert(
      fc.property(reduceCaseArb, ({ shape, op, axes, seed }) => {
        const x = values(seed, sizeOf(shape), -3, 3);
        const out = backend.reduce(op, x, shape, axes);
        expect(out).toBeInstanceOf(Float32Array);
        const expected = cpuBackend.reduce(op, Float64Array.from(x), shape, axes);
        const scale = op === 'sum' ? cpuBackend.reduce('sum', abs64(x), shape, axes) : 0;
        expectClose(out, expected, scale, 0, `${op} over ${JSON.stringify(axes)} of ${JSON.stringify(shape)}`);
      }),
      { numRuns: backend === webasm ? 120 : 40 },
    );
  });

  test('softmax rows: within 1e-5 relative, stable for inputs shifted by +-1000', () => {
    fc.assert(
      fc.property(rowsCaseArb, ({ rows, cols, shift, spread, seed }) => {
        const x = values(seed, rows * cols, shift - spread, shift + spread);
        const out = backend.softmaxRows(x, rows, cols);
        expect(out).toBeInstanceOf(Float32Array);
        const expected = cpuBackend.softmaxRows(Float64Array.from(x), rows, cols);
        // 1e-37 absorbs float32 subnormals (exp(-80) and below), which carry fewer significant bits.
        expectClose(out, expected, expected, 1e-37, 'softmax');
        for (const v of out) expect(Number.isFinite(v)).toBe(true);
      }),
      { numRuns: backend === webasm ? 80 : 30 },
    );
  });

  test('log-sum-exp rows: within 1e-5 of max(|lse|, 1), stable for inputs shifted by +-1000', () => {
    fc.assert(
      fc.property(rowsCaseArb, ({ rows, cols, shift, spread, seed }) => {
        const x = values(seed, rows * cols, shift - spread, shift + spread);
        const out = backend.logSumExpRows(x, rows, cols);
        expect(out).toBeInstanceOf(Float32Array);
        const expected = cpuBackend.logSumExpRows(Float64Array.from(x), rows, cols);
        expectClose(
          out,
          expected,
          Float64Array.from(expected, (v) => Math.max(Math.abs(v), 1)),
          0,
          'logsumexp',
        );
      }),
      { numRuns: backend === webasm ? 80 : 30 },
    );
  });

  test('NaN and Infinity in softmax and log-sum-exp rows give the cpu results', () => {
    const x = new Float32Array([
      ...[1, 2, Number.NaN, 3, 0], // a NaN: the whole row is NaN
      ...[-Infinity, -Infinity, -Infinity, -Infinity, -Infinity], // all -Infinity: 0/0
      ...[1, Infinity, 2, 3, 100], // +Infinity: Infinity/Infinity at it, 0 at finite entries
      ...[-Infinity, 0, -Infinity, 1, -Infinity], // some -Infinity: exact zeros there
      ...[Number.NaN, 1, 2, 3, 4], // NaN first
    ]);
    expectClose(backend.softmaxRows(x, 5, 5), cpuBackend.softmaxRows(x, 5, 5), 1, 1e-7, 'softmax specials');
    expectClose(backend.logSumExpRows(x, 5, 5), cpuBackend.logSumExpRows(x, 5, 5), 10, 0, 'logsumexp specials');
  });

  test('max and min propagate NaN wherever it sits in the reduced group, and reduce infinities exactly', () => {
    const x = new Float32Array([Number.NaN, 1, 2, 3, 1, Number.NaN, 2, 3, 1, 2, 3, Number.NaN, -Infinity, Infinity, 0, 1]);
    // NaN propagates through max and min wherever it sits in the group, as in the cpu backends.
    expectClose(backend.reduce('max', x, [4, 4], [1]), [Number.NaN, Number.NaN, Number.NaN, Infinity], 0, 0, 'max');
    expectClose(backend.reduce('min', x, [4, 4], [1]), [Number.NaN, Number.NaN, Number.NaN, -Infinity], 0, 0, 'min');
    expectClose(backend.reduce('max', x, [4, 4], [0]), [Number.NaN, Number.NaN, 3, Number.NaN], 0, 0, 'max axis 0');
  });

  test('zero-size dimensions give the cpu results (empty, zeros, or the identity of max/min)', () => {
    const empty = new Float32Array(0);
    for (const [m, k, n] of [
      [0, 3, 4],
      [3, 0, 4],
      [3, 4, 0],
    ] as const) {
      const args: MatmulArgs = {
        a: new Float32Array(m * k).fill(1),
        b: new Float32Array(k * n).fill(1),
        aBatch: [],
        bBatch: [],
        batchShape: [],
        m,
        k,
        n,
        transA: false,
        transB: false,
      };
      expect(Array.from(backend.matmul(args))).toEqual(Array.from(cpuBackend.matmul(args)));
    }
    const batched: MatmulArgs = {
      a: empty,
      b: new Float32Array(6),
      aBatch: [0],
      bBatch: [],
      batchShape: [0],
      m: 2,
      k: 3,
      n: 2,
      transA: false,
      transB: false,
    };
    expect(backend.matmul(batched).length).toBe(0);
    for (const op of ['sum', 'max', 'min'] as const) {
      expect(Array.from(backend.reduce(op, empty, [3, 0], [1]))).toEqual(Array.from(cpuBackend.reduce(op, empty, [3, 0], [1])));
      expect(backend.reduce(op, empty, [0, 3], [1]).length).toBe(0);
    }
    expect(backend.softmaxRows(empty, 0, 5).length).toBe(0);
    expect(backend.softmaxRows(empty, 5, 0).length).toBe(0);
    expect(Array.from(backend.logSumExpRows(empty, 3, 0))).toEqual([-Infinity, -Infinity, -Infinity]);
  });
});

// -------------------------------------------------------------------------------------------- the backend

describe('gpujs backend', () => {
  test('the gpu.js mode that actually ran is webasm in Node, with no kernel degraded to cpu', () => {
    const backend = createGpujsBackend({ routing: KERNELS_ONLY });
    expect(backend.info().gpuMode).toBeNull(); // the GPU object is created on first use
    const args = matmulArgs({ m: 8, k: 8, n: 8, transA: false, transB: false, batch: { aBatch: [], bBatch: [], batchShape: [] }, seed: 1 });
    backend.matmul(args);
    backend.reduce('sum', values(2, 64), [8, 8], [1]);
    backend.softmaxRows(values(3, 64), 8, 8);
    backend.logSumExpRows(values(4, 64), 8, 8);
    const info = backend.info();
    expect(info.requestedMode).toBe('webasm');
    expect(info.gpuMode).toBe('webasm');
    expect(info.kernelModes).toEqual(['webasm']);
    expect(info.fallbackReasons).toEqual([]);
    expect(info.kernelRuns).toBe(5); // softmax is two launches
    backend.destroy();
  });

  test("a 'cpu'-mode gpujs backend runs its kernels in gpu.js's cpu mode", () => {
    gpujsCpuMode.matmul(
      matmulArgs({ m: 4, k: 5, n: 6, transA: true, transB: false, batch: { aBatch: [2], bBatch: [], batchShape: [2] }, seed: 5 }),
    );
    const info = gpujsCpuMode.info();
    expect(info.gpuMode).toBe('cpu');
    expect(info.kernelModes).toEqual(['cpu']);
  });

  test('kernels are built once per shape and cached: a repeated call builds nothing', () => {
    const backend = createGpujsBackend({ routing: KERNELS_ONLY });
    const c = { m: 6, k: 7, n: 5, transA: false, transB: true, batch: { aBatch: [3], bBatch: [1], batchShape: [3] }, seed: 9 };
    backend.matmul(matmulArgs(c));
    const built = backend.info().kernelsBuilt;
    expect(built).toBe(1);
    backend.matmul(matmulArgs({ ...c, seed: 10 })); // same shapes, new values
    backend.matmul(matmulArgs({ ...c, seed: 11 }));
    expect(backend.info().kernelsBuilt).toBe(built);
    expect(backend.info().kernelRuns).toBe(3);
    backend.matmul(matmulArgs({ ...c, n: 6 })); // a new shape builds one more
    expect(backend.info().kernelsBuilt).toBe(built + 1);
    const x = values(1, 60);
    backend.reduce('sum', x, [3, 4, 5], [1]);
    backend.reduce('sum', x, [3, 4, 5], [1]);
    backend.softmaxRows(x, 6, 10);
    backend.softmaxRows(x, 6, 10);
    expect(backend.info().kernelsBuilt).toBe(built + 1 + 1 + 2);
    backend.destroy();
  });

  test('the kernel cache is bounded: the least recently used kernel is destroyed past maxCachedKernels', () => {
    const backend = createGpujsBackend({ routing: KERNELS_ONLY, maxCachedKernels: 2 });
    const x = values(1, 64);
    for (const cols of [2, 4, 8, 16]) backend.logSumExpRows(x, 64 / cols, cols);
    expect(backend.info().cachedKernels).toBe(2);
    expect(backend.info().kernelsBuilt).toBe(4);
    expectClose(backend.logSumExpRows(x, 32, 2), cpuBackend.logSumExpRows(Float64Array.from(x), 32, 2), 10, 0, 'rebuilt');
    backend.destroy();
  });

  test('results are fresh arrays: a later call does not overwrite an earlier result', () => {
    const c = { m: 8, k: 8, n: 8, transA: false, transB: false, batch: { aBatch: [], bBatch: [], batchShape: [] }, seed: 21 };
    const first = webasm.matmul(matmulArgs(c));
    const copy = Float32Array.from(first);
    webasm.matmul(matmulArgs({ ...c, seed: 22 }));
    expect(Array.from(first)).toEqual(Array.from(copy));
    const x = values(3, 64);
    const lse = webasm.logSumExpRows(x, 8, 8);
    const lseCopy = Float32Array.from(lse);
    webasm.logSumExpRows(values(4, 64), 8, 8);
    expect(Array.from(lse)).toEqual(Array.from(lseCopy));
  });

  test('float64 calls run on the cpu reference kernels, bit for bit, and build no kernel', () => {
    const backend = createGpujsBackend({ routing: KERNELS_ONLY });
    const a = Float64Array.from(values(1, 2 * 6 * 5));
    const b = Float64Array.from(values(2, 5 * 7));
    const args: MatmulArgs = { a, b, aBatch: [2], bBatch: [], batchShape: [2], m: 6, k: 5, n: 7, transA: false, transB: false };
    const out = backend.matmul(args);
    expect(out).toBeInstanceOf(Float64Array);
    expect(Array.from(out)).toEqual(Array.from(cpuBackend.matmul(args)));
    expect(Array.from(backend.reduce('sum', a, [2, 6, 5], [0, 2]))).toEqual(Array.from(cpuBackend.reduce('sum', a, [2, 6, 5], [0, 2])));
    expect(Array.from(backend.softmaxRows(a, 6, 10))).toEqual(Array.from(cpuBackend.softmaxRows(a, 6, 10)));
    expect(Array.from(backend.logSumExpRows(a, 6, 10))).toEqual(Array.from(cpuBackend.logSumExpRows(a, 6, 10)));
    const info = backend.info();
    expect(info.kernelsBuilt).toBe(0);
    expect(info.gpuMode).toBeNull();
    expect(info.cpuRoutes).toBe(4);
  });

  test('default routing: small problems go to cpu, large ones to kernels', () => {
    const backend = createGpujsBackend();
    const small = matmulArgs({
      m: 4,
      k: 4,
      n: 4,
      transA: false,
      transB: false,
      batch: { aBatch: [], bBatch: [], batchShape: [] },
      seed: 1,
    });
    const rowVector = matmulArgs({
      m: 1,
      k: 64,
      n: 64,
      transA: false,
      transB: false,
      batch: { aBatch: [], bBatch: [], batchShape: [] },
      seed: 2,
    });
    backend.matmul(small);
    backend.matmul(rowVector);
    backend.softmaxRows(values(1, 64 * 64), 64, 64); // 4096 < minSoftmaxElements
    expect(backend.info().kernelRuns).toBe(0);
    expect(backend.info().cpuRoutes).toBe(3);
    const large = matmulArgs({
      m: 32,
      k: 32,
      n: 32,
      transA: false,
      transB: false,
      batch: { aBatch: [], bBatch: [], batchShape: [] },
      seed: 3,
    });
    expect(32 * 32 * 32).toBeGreaterThanOrEqual(DEFAULT_ROUTING.minMatmulMacs);
    const { expected, scale } = matmulReference(large);
    expectClose(backend.matmul(large), expected, scale, 1e-30, 'large matmul');
    backend.logSumExpRows(values(1, 64 * 64), 64, 64);
    expect(backend.info().kernelRuns).toBe(2);
    backend.destroy();
  });

  test("setBackend('gpujs') selects the lazily created shared backend", () => {
    const seen = withBackend('gpujs', (): Backend => getBackend());
    expect(seen.name).toBe('gpujs');
    expect(getBackend().name).toBe('cpu');
    const x = values(5, 64 * 64);
    withBackend('gpujs', () => getBackend().logSumExpRows(x, 64, 64));
    expect(gpujsInfo()?.gpuMode).toBe('webasm');
    expect(gpujsInfo()?.kernelModes).toEqual(['webasm']);
  });

  test('useBackend and withBackend run ops on a backend object of ones own (a single-threaded one here)', () => {
    const own = createGpujsBackend({ threads: 1, routing: KERNELS_ONLY });
    const a = tensor(Array.from(values(7, 6 * 5)), { shape: [6, 5], dtype: 'float32' });
    const b = tensor(Array.from(values(8, 5 * 4)), { shape: [5, 4], dtype: 'float32' });
    const expected = Array.from(matmul(a, b).data); // on cpu, the default
    const previous = useBackend(own);
    try {
      expect(getBackend()).toBe(own);
      expect(Array.from(matmul(a, b).data).map((v, i) => Math.abs(v - expected[i]!) <= 1e-5)).not.toContain(false);
    } finally {
      expect(useBackend(previous)).toBe(own);
    }
    expect(getBackend().name).toBe('cpu');
    expect(own.info().kernelRuns).toBe(1);
    withBackend(own, () => matmul(a, b));
    expect(own.info()).toMatchObject({ kernelRuns: 2, threads: 1 });
    expect(getBackend().name).toBe('cpu');
    own.destroy();
  });
});
