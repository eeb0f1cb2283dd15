/**
 * The kernel cases the bench times on every backend: square matmuls, the matmuls a GPT step actually runs
 * (forward and the transposed-operand products of its backward), elementwise maps, row softmax, layernorm.
 */
import type { ConfigName } from './args.js';
import { REFERENCE_DIMS } from './dims.js';

export interface MatmulCase {
  kind: 'matmul';
  label: string;
  batch: number;
  m: number;
  k: number;
  n: number;
  /** C = op(A) op(B): A is stored [batch, k, m] when transA, B is stored [batch, n, k] when transB. */
  transA: boolean;
  transB: boolean;
}

export interface ElementwiseCase {
  kind: 'add' | 'mul' | 'exp';
  label: string;
  size: number;
}

export interface RowsCase {
  kind: 'softmax' | 'layernorm';
  label: string;
  rows: number;
  cols: number;
}

export type KernelCase = MatmulCase | ElementwiseCase | RowsCase;

export function matmulFlops(c: MatmulCase): number {
  return 2 * c.batch * c.m * c.n * c.k;
}

/** The elements a case reads and writes per call, for ns-per-element figures (null for matmul). */
export function caseElements(c: KernelCase): number | null {
  switch (c.kind) {
    case 'matmul':
      return null;
    case 'softmax':
    case 'layernorm':
      return c.rows * c.cols;
    default:
      return c.size;
  }
}

function mm(label: string, batch: number, m: number, k: number, n: number, transA = false, transB = false): MatmulCase {
  const a = transA ? `[${batch > 1 ? `${batch},` : ''}${k},${m}]^T` : `[${batch > 1 ? `${batch},` : ''}${m},${k}]`;
  const b = transB ? `[${batch > 1 ? `${batch},` : ''}${n},${k}]^T` : `[${batch > 1 ? `${batch},` : ''}${k},${n}]`;
  return { kind: 'matmul', label: `${label} ${a}x${b}`, batch, m, k, n, transA, transB };
}

/**
 * A Linear layer's three products (src/nn Linear, src/autograd linearFused): y = x W^T with W stored
 * [out, in], and its backward dx = g W and dW = g^T x.
 */
function linearMatmuls(label: string, rows: number, inFeatures: number, outFeatures: number): MatmulCase[] {
  return [
    mm(label, 1, rows, inFeatures, outFeatures, false, true),
    mm(`${label} dX`, 1, rows, outFeatures, inFeatures),
    mm(`${label} dW`, 1, outFeatures, rows, inFeatures, true, false),
  ];
}

/**
 * The distinct matmuls of one training step of a config, as the model runs them. Attention projects q, k and
 * v as three [width, width] Linear products (each with its slice of the fused qkv weight), like its output
 * projection; the LM head is x wte^T. Attention's batched products over batch x heads: scores q k^T (the same
 * shape as the backward's dP = g v^T), weights times v (as dq = g k), and dk = g^T q (as dv = p^T g).
 */
function modelMatmuls(config: ConfigName): MatmulCase[] {
  const { batch, context: T, width: C, heads: H, mlp: M, vocab: V } = REFERENCE_DIMS[config];
  const N = batch * T;
  const hd = C / H;
  const BH = batch * H;
  const p = config;
  return [
    ...linearMatmuls(`${p} q/k/v/attn-proj`, N, C, C),
    ...linearMatmuls(`${p} mlp-fc`, N, C, M),
    ...linearMatmuls(`${p} mlp-proj`, N, M, C),
    ...linearMatmuls(`${p} lm-head`, N, C, V),
    mm(`${p} attn q.k^T, dP`, BH, T, hd, T, false, true),
    mm(`${p} attn p.v, dq`, BH, T, T, hd),
    mm(`${p} attn dk, dv`, BH, T, T, hd, true, false),
  ];
}

function rowsCases(config: ConfigName): RowsCase[] {
  const { batch, context: T, width: C, heads: H, vocab: V } = REFERENCE_DIMS[config];
  return [
    { kind: 'softmax', label: `${config} attn [${batch * H * T},${T}]`, rows: batch * H * T, cols: T },
    { kind: 'softmax', label: `${config} logits [${batch * T},${V}]`, rows: batch * T, cols: V },
    { kind: 'layernorm', label: `${config} [${batch * T},${C}]`, rows: batch * T, cols: C },
  ];
}

function elementwise(sizes: readonly number[]): ElementwiseCase[] {
  const name = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
  return (['add', 'mul', 'exp'] as const).flatMap((kind) => sizes.map((size) => ({ kind, label: name(size), size })));
}

/** Every case of a full run, or the smallest few when `tiny` (the smoke test). */
export function kernelCases(tiny: boolean, configs: readonly ConfigName[]): KernelCase[] {
  if (tiny) {
    return [
      mm('square', 1, 16, 16, 16),
      mm('square', 1, 32, 32, 32),
      ...elementwise([1000]),
      { kind: 'softmax', label: 'rows [16,16]', rows: 16, cols: 16 },
      { kind: 'layernorm', label: 'rows [16,16]', rows: 16, cols: 16 },
    ];
  }
  const square = [16, 32, 64, 128, 256, 512].map((s) => mm('square', 1, s, s, s));
  return [...square, ...configs.flatMap(modelMatmuls), ...elementwise([1_000, 10_000, 100_000, 1_000_000]), ...configs.flatMap(rowsCases)];
}
