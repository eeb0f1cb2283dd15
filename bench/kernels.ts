/**
 * The kernel section: times each case on each backend (ours: cpu, gpujs, gpujs-1t; with --peers also
 * TensorFlow.js wasm and cpu) as one op call without gradient recording, the way the model calls it.
 */
import { add, exp, layerNorm, matmulT, mul, noGrad, randn, softmax, Generator, type Tensor } from '../src/autograd/index.js';
import type { OurBackend } from './args.js';
import { onBackend } from './backends.js';
import { caseElements, matmulFlops, type KernelCase } from './kernel-cases.js';
import { timeSync, type TimingBudget } from './measure.js';

export interface KernelRow {
  kernel: KernelCase['kind'];
  /** `cpu` or `gpujs` (ours), `tfjs-wasm` or `tfjs-cpu` (the peers). */
  backend: string;
  case: string;
  medianMs: number;
  /** Matmul only: 2 m n k batch / median time. */
  gflops: number | null;
  /** Elementwise, softmax, layernorm: median time per element of the input. */
  nsPerElement: number | null;
  /**
   * Minor page faults per call over every call of the timing, warm-up included (the whole process's count):
   * a result that lands in fresh memory pays one per 4 KiB page it writes, which on some virtual machines
   * costs more than the arithmetic, and the allocator returns memory to the system at some garbage
   * collections only, so a short window apart from the timing can miss them.
   */
  faultsPerCall: number;
  samples: number;
}

/** Something that can run kernel cases: prepares the inputs once and returns the call to time. */
export interface KernelRunner {
  readonly backend: string;
  prepare(c: KernelCase): () => void;
  /** Frees what `prepare` allocated outside the JS heap (TensorFlow.js tensors); optional. */
  release?(): void;
}

export function kernelBudget(quick: boolean): TimingBudget {
  return quick
    ? { iterations: 2, timeMs: 5, warmupIterations: 1, warmupTimeMs: 0 }
    : { iterations: 5, timeMs: 200, warmupIterations: 2, warmupTimeMs: 50 };
}

/** Our engine's kernels on one backend, through the public op API. */
export function ourKernelRunner(backend: OurBackend): KernelRunner {
  const gen = new Generator(1234);
  const r = (shape: number[]): Tensor => randn(shape, { generator: gen });
  return {
    backend,
    prepare(c) {
      switch (c.kind) {
        case 'matmul': {
          const lead = c.batch > 1 ? [c.batch] : [];
          const a = r([...lead, ...(c.transA ? [c.k, c.m] : [c.m, c.k])]);
          const b = r([...lead, ...(c.transB ? [c.n, c.k] : [c.k, c.n])]);
          return () => void matmulT(a, b, c.transA, c.transB);
        }
        case 'add':
        case 'mul': {
          const a = r([c.size]);
          const b = r([c.size]);
          const op = c.kind === 'add' ? add : mul;
          return () => void op(a, b);
        }
        case 'exp': {
          const a = r([c.size]);
          return () => void exp(a);
        }
        case 'softmax': {
          const x = r([c.rows, c.cols]);
          return () => void softmax(x, -1);
        }
        case 'layernorm': {
          const x = r([c.rows, c.cols]);
          const w = r([c.cols]);
          const b = r([c.cols]);
          return () => void layerNorm(x, w, b);
        }
      }
    },
  };
}

/** Times every case on a runner; with `backend`, that one of ours is active around each timing. */
export function runKernels(
  runner: KernelRunner,
  cases: readonly KernelCase[],
  budget: TimingBudget,
  backend: OurBackend | null,
): KernelRow[] {
  const timeCase = (c: KernelCase): KernelRow => {
    try {
      const prepared = runner.prepare(c);
      let calls = 0;
      const call = (): void => {
        calls++;
        prepared();
      };
      const before = process.resourceUsage().minorPageFault;
      const t = noGrad(() => timeSync(`${runner.backend} ${c.kind} ${c.label}`, call, budget));
      const faultsPerCall = (process.resourceUsage().minorPageFault - before) / calls;
      const elements = caseElements(c);
      return {
        kernel: c.kind,
        backend: runner.backend,
        case: c.label,
        medianMs: t.medianMs,
        gflops: c.kind === 'matmul' ? matmulFlops(c) / (t.medianMs * 1e6) : null,
        nsPerElement: elements === null ? null : (t.medianMs * 1e6) / elements,
        faultsPerCall,
        samples: t.samples,
      };
    } finally {
      runner.release?.();
    }
  };
  return cases.map((c) => (backend ? onBackend(backend, () => timeCase(c)) : timeCase(c)));
}
