/**
 * The wasm backend's generated kernels against the cpu reference's float64 result: random shapes, broadcast
 * batch patterns and edge sizes (1, odd, not a multiple of the 4 x 8 register block, k < 4, empty batches),
 * within float32's error bound; one thread and two bit for bit; and the module generated from source.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { MatmulArgs } from '../../src/autograd/backend/backend.js';
import { cpuBackend } from '../../src/autograd/backend/cpu/tuned.js';
import { createWasmBackend } from '../../src/autograd/backend/wasm/backend.js';
import { buildKernelModule } from '../../src/autograd/backend/wasm/runtime.js';
import { threadsSupported } from '../../src/autograd/backend/gpujs/threads.js';
import { lcgFloats, sameBits, unbatched } from '../helpers/backend-data.js';

const single = createWasmBackend({ threads: 1 });
const threaded = createWasmBackend({ threads: 2 });
afterAll(() => {
  single.destroy();
  threaded.destroy();
});

const f64 = (x: Float32Array): Float64Array => Float64Array.from(x);

/**
 * A float32 sum of k products (and a bias) is within about (k + 2) u sum |a b| of the exact value, u = 2^-24
 * (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5): the bound is the reference's product of
 * absolute values.
 */
function expectWithinFloat32Bound(args: MatmulArgs, got: ArrayLike<number>): void {
  const exact = cpuBackend.matmul({
    ...args,
    a: f64(args.a as Float32Array),
    b: f64(args.b as Float32Array),
    bias: args.bias ? f64(args.bias as Float32Array) : null,
  });
  const abs = (x: Float32Array): Float64Array => Float64Array.from(x, Math.abs);
  const magnitude = cpuBackend.matmul({
    ...args,
    a: abs(args.a as Float32Array),
    b: abs(args.b as Float32Array),
    bias: args.bias ? abs(args.bias as Float32Array) : null,
  });
  expect(got).toBeInstanceOf(Float32Array);
  expect(got.length).toBe(exact.length);
  const u = 2 ** -24;
  for (let i = 0; i < exact.length; i++) {
    const bound = (args.k + 2) * u * magnitude[i]! + 1e-30;
    if (!(Math.abs(got[i]! - exact[i]!) <= bound)) expect.fail(`[${i}]: ${got[i]} vs exact ${exact[i]} (bound ${bound})`);
  }
}

/** Batch patterns [aBatch, bBatch, batchShape]: none, plain, either side broadcast, both broadcast, empty. */
const BATCHES: readonly [number[], number[], number[]][] = [
  [[], [], []],
  [[3], [3], [3]],
  [[3], [], [3]],
  [[], [2], [2]],
  [
    [2, 1],
    [1, 3],
    [2, 3],
  ],
  [[0], [0], [0]],
  [[2, 0], [], [2, 0]],
];

const dims = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 16, 17), fc.integer({ min: 1, max: 70 }));

describe('wasm GEMM against the float64 reference', () => {
  test('A.B, A.B^T, A^T.B and A^T.B^T with broadcast batches and a bias, on edge and random sizes', () => {
    const arb = fc.record({
      m: dims,
      k: fc.oneof(fc.constantFrom(0, 1, 2, 3), dims),
      n: dims,
      transA: fc.boolean(),
      transB: fc.boolean(),
      batch: fc.constantFrom(...BATCHES),
      bias: fc.boolean(),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ m, k, n, transA, transB, batch: [aBatch, bBatch, batchShape], bias, seed }) => {
        const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
        const args: MatmulArgs = {
          a: lcgFloats(seed, size(aBatch) * m * k),
          b: lcgFloats(seed + 1, size(bBatch) * k * n),
          aBatch,
          bBatch,
          batchShape,
          m,
          k,
          n,
          transA,
          transB,
          bias: bias ? lcgFloats(seed + 2, n) : null,
        };
        expectWithinFloat32Bound(args, single.matmul(args));
      }),
      { numRuns: 200 },
    );
  });

  test("the models' shapes (tiles filling whole registers, long k) stay within the bound", () => {
    for (const [m, k, n, transA, transB] of [
      [512, 64, 256, false, true],
      [64, 512, 256, true, false],
      [128, 512, 96, false, false],
    ] as const) {
      const args = unbatched(lcgFloats(m, m * k), lcgFloats(n, k * n), m, k, n, transA, transB);
      expectWithinFloat32Bound(args, single.matmul(args));
    }
  });

  test('float64 operands go to the cpu reference, unchanged', () => {
    const args = unbatched(f64(lcgFloats(1, 12)), f64(lcgFloats(2, 12)), 3, 4, 3);
    sameBits(single.matmul(args), cpuBackend.matmul(args));
    expect(single.matmul(args)).toBeInstanceOf(Float64Array);
  });
});

describe.runIf(threadsSupported())('wasm helper threads', () => {
  test("products split over two threads equal one thread's bit for bit, and the helper takes part", () => {
    const arb = fc.record({
      m: fc.constantFrom(128, 131, 256),
      k: fc.integer({ min: 1, max: 80 }),
      n: fc.constantFrom(128, 129, 64),
      transA: fc.boolean(),
      transB: fc.boolean(),
      batch: fc.constantFrom(1, 3),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ m, k, n, transA, transB, batch, seed }) => {
        const batchShape = batch > 1 ? [batch] : [];
        const args: MatmulArgs = {
          a: lcgFloats(seed, batch * m * k),
          b: lcgFloats(seed + 1, k * n),
          aBatch: batchShape,
          bBatch: [],
          batchShape,
          m,
          k,
          n,
          transA,
          transB,
        };
        sameBits(threaded.matmul(args), single.matmul(args));
      }),
      { numRuns: 30 },
    );
    // Helpers start asynchronously and a busy machine may not schedule them at once: keep running (bounded).
    const args = unbatched(lcgFloats(1, 256 * 256), lcgFloats(2, 256 * 256), 256, 256, 256, false, true);
    const expected = single.matmul(args);
    const deadline = Date.now() + 20_000;
    while (threaded.info().helperChunks === 0 && Date.now() < deadline) sameBits(threaded.matmul(args), expected);
    expect(threaded.info().helperChunks).toBeGreaterThan(0);
    expect(single.info().helperChunks).toBe(0);
  });
});

describe('the kernel module is generated from source', () => {
  test("the emitter's bytes are a valid WebAssembly SIMD module, rebuilt identically each time", () => {
    expect(WebAssembly.validate(buildKernelModule(false))).toBe(true);
    const bytes = buildKernelModule();
    expect(WebAssembly.validate(bytes)).toBe(true);
    sameBits(buildKernelModule(), bytes);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
    expect(exports).toContain('run');
  });

  test('no WebAssembly binary is in the repo, and the backend reads no file', () => {
    const root = join(import.meta.dirname, '../..');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.wasm')) found.push(path);
      }
    };
    walk(root);
    expect(found).toEqual([]);
    const dir = join(root, 'src/autograd/backend/wasm');
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect(source, file).not.toMatch(/readFile|fetch\(|\.wasm['"]|compileStreaming|from 'node:/);
    }
  });
});
