/** The kernel cases on TensorFlow.js, for reference figures next to ours (same cases, same timing). */
import type { KernelCase } from '../kernel-cases.js';
import type { KernelRunner } from '../kernels.js';
import { tfLayerNorm } from './tfjs-gpt.js';
import { tf, type TfBackend } from './tfjs-setup.js';

/** A runner for the active TensorFlow.js backend (`useTfBackend` first). Each call's outputs are disposed. */
export function tfKernelRunner(backend: TfBackend): KernelRunner {
  let held: tf.Tensor[] = [];
  const r = (shape: number[]): tf.Tensor => {
    const t = tf.randomNormal(shape, 0, 1, 'float32', 1234);
    held.push(t);
    return t;
  };
  return {
    backend: `tfjs-${backend}`,
    prepare(c: KernelCase) {
      switch (c.kind) {
        case 'matmul': {
          const lead = c.batch > 1 ? [c.batch] : [];
          const a = r([...lead, ...(c.transA ? [c.k, c.m] : [c.m, c.k])]);
          const b = r([...lead, ...(c.transB ? [c.n, c.k] : [c.k, c.n])]);
          return () => tf.dispose(tf.matMul(a, b, c.transA, c.transB));
        }
        case 'add':
        case 'mul': {
          const a = r([c.size]);
          const b = r([c.size]);
          const op = c.kind === 'add' ? tf.add : tf.mul;
          return () => tf.dispose(op(a, b));
        }
        case 'exp': {
          const a = r([c.size]);
          return () => tf.dispose(tf.exp(a));
        }
        case 'softmax': {
          const x = r([c.rows, c.cols]);
          return () => tf.dispose(tf.softmax(x));
        }
        case 'layernorm': {
          const x = r([c.rows, c.cols]);
          const w = r([c.cols]);
          const b = r([c.cols]);
          return () => tf.tidy(() => void tfLayerNorm(x, w, b));
        }
      }
    },
    release() {
      tf.dispose(held);
      held = [];
    },
  };
}
