/**
 * The gpujs backend's helper threads (backend/gpujs/threads.ts, direct.ts): a kernel split over threads computes
 * every cell exactly as the calling thread alone would (same module code, so bit for bit), including outputs
 * whose rows are not a multiple of 4 cells (chunks of whole rows) and batched, transposed and broadcast
 * matmuls; the helpers really take part; and a destroyed backend starts over cleanly.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { MatmulArgs } from '../../src/autograd/backend/backend.js';
import { createGpujsBackend, threadsFromEnv, type GpujsRouting } from '../../src/autograd/backend/index.js';
import { threadsSupported } from '../../src/autograd/backend/gpujs/threads.js';
import { lcgFloats, sameBits, unbatched } from '../helpers/backend-data.js';

const KERNELS_ONLY: GpujsRouting = { minMatmulMacs: 0, minMatmulRows: 0, minMatmulK: 0, minRowElements: 0, minSoftmaxElements: 0 };
const ALWAYS = { minMatmulMacs: 0, minRowElements: 0 };
const single = createGpujsBackend({ routing: KERNELS_ONLY, threads: 1 });
const threaded = createGpujsBackend({ routing: KERNELS_ONLY, threads: 3, threading: ALWAYS });

afterAll(() => {
  single.destroy();
  threaded.destroy();
});

describe.runIf(threadsSupported())('gpujs helper threads', () => {
  test('matmuls split over threads equal the single-thread kernels bit for bit (>= 4096 output cells: shared memory)', () => {
    const arb = fc.record({
      m: fc.constantFrom(128, 130, 131, 256),
      k: fc.integer({ min: 1, max: 40 }),
      n: fc.constantFrom(128, 129, 130, 64),
      transA: fc.boolean(),
      transB: fc.boolean(),
      batch: fc.constantFrom(1, 3),
      broadcastB: fc.boolean(),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ m, k, n, transA, transB, batch, broadcastB, seed }) => {
        const bBatch = batch > 1 && !broadcastB ? [batch] : [];
        const args: MatmulArgs = {
          a: lcgFloats(seed, batch * m * k),
          b: lcgFloats(seed + 1, (batch > 1 && !broadcastB ? batch : 1) * k * n),
          aBatch: batch > 1 ? [batch] : [],
          bBatch,
          batchShape: batch > 1 ? [batch] : [],
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
    expect(threaded.info().threadedRuns).toBeGreaterThan(0);
    expect(threaded.info().threads).toBe(3);
  });

  test('a fused bias equals adding it to the product afterwards, bit for bit (swapped, batched, ragged columns)', () => {
    for (const [m, k, n, transA, transB, batch] of [
      [128, 9, 130, false, true, 1],
      [130, 7, 128, true, false, 2],
      [64, 16, 33, false, false, 3],
      [6, 5, 7, false, true, 1],
    ] as const) {
      const batchShape = batch > 1 ? [batch] : [];
      const args: MatmulArgs = {
        a: lcgFloats(m + k, batch * m * k),
        b: lcgFloats(n, k * n),
        aBatch: batchShape,
        bBatch: [],
        batchShape,
        m,
        k,
        n,
        transA,
        transB,
      };
      const bias = lcgFloats(7, n);
      for (const backend of [single, threaded]) {
        const plain = backend.matmul(args);
        const expected = plain.map((v, i) => v + bias[i % n]!);
        sameBits(backend.matmul({ ...args, bias }), expected);
      }
    }
  });

  test('reductions, row softmax and log-sum-exp split over threads equal the single-thread kernels', () => {
    for (const [rows, cols] of [
      [4096, 3],
      [5000, 17],
      [8192, 64],
    ] as const) {
      const x = lcgFloats(rows + cols, rows * cols);
      sameBits(threaded.softmaxRows(x, rows, cols), single.softmaxRows(x, rows, cols));
      sameBits(threaded.logSumExpRows(x, rows, cols), single.logSumExpRows(x, rows, cols));
      sameBits(threaded.reduce('sum', x, [rows, cols], [1]), single.reduce('sum', x, [rows, cols], [1]));
      sameBits(threaded.reduce('max', x, [rows, cols], [1]), single.reduce('max', x, [rows, cols], [1]));
    }
  });

  test('the helpers compute chunks (not only the calling thread)', () => {
    const args = unbatched(lcgFloats(1, 256 * 256), lcgFloats(2, 256 * 256), 256, 256, 256, false, true);
    const expected = single.matmul(args);
    // Helpers start asynchronously and a busy machine may not schedule them at once: keep running (bounded).
    const deadline = Date.now() + 20_000;
    while (threaded.info().helperChunks === 0 && Date.now() < deadline) sameBits(threaded.matmul(args), expected);
    expect(threaded.info().helperChunks).toBeGreaterThan(0);
    expect(threaded.info().threadErrors).toEqual([]);
  });

  test('a destroyed backend starts a new pool and kernels on its next call', () => {
    const backend = createGpujsBackend({ routing: KERNELS_ONLY, threads: 2, threading: ALWAYS });
    const args = unbatched(lcgFloats(3, 128 * 32), lcgFloats(4, 32 * 128), 128, 32, 128);
    const expected = single.matmul(args);
    sameBits(backend.matmul(args), expected);
    backend.destroy();
    sameBits(backend.matmul(args), expected);
    expect(backend.info().threadedRuns).toBe(2);
    backend.destroy();
  });
});

test('threads: 1 never starts a pool', () => {
  const args = unbatched(lcgFloats(5, 128 * 32), lcgFloats(6, 32 * 128), 128, 32, 128);
  single.matmul(args);
  expect(single.info().threads).toBe(1);
  expect(single.info().threadedRuns).toBe(0);
});

test("SELM_GPUJS_THREADS: a positive integer picks the shared backend's threads; anything else is ignored", () => {
  expect(threadsFromEnv({ SELM_GPUJS_THREADS: '1' })).toBe(1);
  expect(threadsFromEnv({ SELM_GPUJS_THREADS: '4' })).toBe(4);
  for (const bad of ['', '0', '-2', '1.5', 'two']) expect(threadsFromEnv({ SELM_GPUJS_THREADS: bad })).toBeUndefined();
  expect(threadsFromEnv({})).toBeUndefined();
  expect(threadsFromEnv(undefined)).toBeUndefined();
});
