/**
 * The gpu.js kernel sources, generated as strings per shape: sizes are baked in as literals (one kernel per
 * shape, so the loops have constant trip counts; gpu.js's webasm backend rebuilds its module per size
 * signature even with dynamic output, so dynamic kernels would save nothing). The choices below (unrolling,
 * writing k out, 3-D views, inline indices, the inline exp) were measured: bench/README.md, Decisions.
 */
import type { ReduceOp } from '../backend.js';

/** How a matmul operand's batch offset is found: its own batch index, always batch 0, or a lookup table. */
export type BatchMode = 'same' | 'one' | 'table';

export interface MatmulPlan {
  batches: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aMode: BatchMode;
  bMode: BatchMode;
}

/** The matmul kernel's k loop is unrolled by 8 (the fastest of 4, 8, 16 and full unrolling). */
export const MATMUL_UNROLL = 8;

/**
 * Up to this k the kernel has no loop: every k term is written out with literal indices (faster than the
 * unrolled loop for the attention products at k = 16 and 32, slower at k = 64).
 */
const MATMUL_STRAIGHT_K = 32;

/**
 * Batched C = op(A) op(B): thread (x = i, y = j / 4, z = batch) returns C[i][j..j+3]. The lane axis of
 * gpu.js's SIMD is x, so A is read with a per-lane gather once per k term while the four B values are
 * lane-uniform scalar loads; k is unrolled by MATMUL_UNROLL, or written out whole up to MATMUL_STRAIGHT_K.
 * Columns past n (when n % 4 != 0) read column n - 1 and are dropped when the result is unpacked.
 */
export function matmulSource(p: MatmulPlan): string {
  const { n, k, transA, transB, aMode, bMode, batches } = p;
  const batchIndex = (mode: BatchMode, table: string): string =>
    mode === 'one' ? '0' : mode === 'same' ? 'this.thread.z' : `${table}[this.thread.z]`;
  const params = ['a', 'b'];
  if (aMode === 'table') params.push('aBatch');
  if (bMode === 'table') params.push('bBatch');
  const lines: string[] = [];
  // Every index is written inline from this.thread.* and literals. gpu.js's webasm backend declares any local
  // initialised from an integer expression as a float ("int-typed initializers decay to float"), so hoisted
  // row offsets (`const aRow = ...`) cost a float-to-int conversion at every load they feed; inline integer
  // expressions stay i32.
  const [X, Y] = ['this.thread.x', 'this.thread.y'];
  // A batched operand is a 3-D view indexed [batch][row][col], not a 2-D one indexed [batch * rows + row][col]:
  // the product in the row index cost a third of the kernel's speed.
  const za = batches > 1 && aMode !== 'one' ? batchIndex(aMode, 'aBatch') : null;
  const zb = batches > 1 && bMode !== 'one' ? batchIndex(bMode, 'bBatch') : null;
  // Column c of the thread's block of 4; past n (a ragged last block) it reads column n - 1.
  const col = (c: number): string => {
    const j = c === 0 ? `${Y} * 4` : `${Y} * 4 + ${c}`;
    return c === 0 || n % 4 === 0 ? j : `(${j} < ${n} ? ${j} : ${n - 1})`;
  };
  const at = (name: string, z: string | null, row: string, column: string): string => `${name}${z ? `[${z}]` : ''}[${row}][${column}]`;
  // Views: a is [rows][cols] (rows = m, or k when transA), with a leading batch axis when batched; b likewise.
  const aAt = (pk: string): string => (transA ? at('a', za, pk, X) : at('a', za, X, pk));
  const bAt = (pk: string, c: number): string => (transB ? at('b', zb, col(c), pk) : at('b', zb, pk, col(c)));
  lines.push(`let s0 = 0;`, `let s1 = 0;`, `let s2 = 0;`, `let s3 = 0;`);
  const unrolled = k <= MATMUL_STRAIGHT_K ? 0 : k - (k % MATMUL_UNROLL);
  const step = (pk: (u: number) => string, count: number): void => {
    for (let u = 0; u < count; u++) lines.push(`const a${u} = ${aAt(pk(u))};`);
    for (let c = 0; c < 4; c++) {
      const terms = Array.from({ length: count }, (_, u) => `a${u} * ${bAt(pk(u), c)}`);
      lines.push(`s${c} += ${terms.join(' + ')};`);
    }
  };
  if (unrolled > 0) {
    lines.push(`for (let p = 0; p < ${unrolled}; p += ${MATMUL_UNROLL}) {`);
    step((u) => (u === 0 ? 'p' : `p + ${u}`), MATMUL_UNROLL);
    lines.push(`}`);
  }
  if (unrolled < k) {
    lines.push(`{`);
    step((u) => `${unrolled + u}`, k - unrolled);
    lines.push(`}`);
  }
  lines.push(`return [s0, s1, s2, s3];`);
  return `function (${params.join(', ')}) {\n${lines.join('\n')}\n}`;
}

/**
 * Reduces x viewed as [outer, red, inner] over its middle axis. Thread (x = inner index, y = outer index)
 * or, when inner = 1, (x = outer index). NaN is sticky for max and min: once the accumulator is NaN no
 * comparison replaces it.
 */
export function reduceSource(op: ReduceOp, red: number, inner: number): string {
  const o = inner === 1 ? 'this.thread.x' : 'this.thread.y';
  const at = inner === 1 ? `x[o][r]` : `x[o][r][this.thread.x]`;
  const init = op === 'sum' ? '0' : op === 'max' ? '-Infinity' : 'Infinity';
  const update =
    op === 'sum' ? 'acc += v;' : op === 'max' ? 'if (v > acc || v !== v) { acc = v; }' : 'if (v < acc || v !== v) { acc = v; }';
  return `function (x) {
const o = ${o};
let acc = ${init};
for (let r = 0; r < ${red}; r++) {
const v = ${at};
${update}
}
return acc;
}`;
}

/** The row maximum with sticky NaN, as statements that leave it in `mx`. */
function rowMaxLines(cols: number): string {
  return `let mx = -Infinity;
for (let c = 0; c < ${cols}; c++) {
const v = x[r][c];
if (v > mx || v !== v) { mx = v; }
}`;
}

/**
 * 2^(i - 150) for i in 0..150: the scale table of the inline exp (entry 0 is 2^-150, which rounds to 0).
 * A kernel constant, so it is copied into the kernel's memory once, not per call.
 */
export const POW2_TABLE = Float32Array.from({ length: 151 }, (_, i) => 2 ** (i - 150));

/**
 * Statements computing `name = exp(t)` in float32 for t <= 0 (every exp here is of x - rowMax). webasm has
 * no exp opcode: `Math.exp` in a webasm kernel is a call out to JavaScript per SIMD lane (several times
 * slower than this). So it is computed inline: t = n ln2 + r with n = round(t / ln2) (Cody-Waite split of
 * ln2), exp(r) by its degree-7 Taylor polynomial on |r| <= ln2/2 (truncation error below 6e-9), times 2^n
 * from a table. Measured: at most 1.2e-7 relative error (1 ulp) against Math.fround(Math.exp(t)) on
 * [-87, 0]; exp(-Infinity) = 0 (t is clamped at -104, where exp underflows float32); NaN stays NaN.
 * Other modes use Math.exp.
 */
function expLines(t: string, name: string, inline: boolean): string {
  if (!inline) return `const ${name} = Math.exp(${t});`;
  const u = `${name}_t`;
  const n = `${name}_n`;
  const r = `${name}_r`;
  const poly = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040]
    .map((c) => String(Math.fround(c)))
    .reduceRight((acc, c) => (acc === '' ? c : `${c} + ${r} * (${acc})`), '');
  return `const ${u} = Math.max(${t}, -104);
const ${n} = Math.floor(${u} * 1.4426950408889634 + 0.5);
const ${r} = ${u} - ${n} * 0.693359375 + ${n} * 0.00021219444;
const ${name} = (${poly}) * this.constants.pow2[${n} + 150];`;
}

/**
 * Per row: [max, sum of exp(x - max)]. Rows whose max is not finite (a NaN, a +Infinity, all -Infinity)
 * are recomputed by the cpu kernel afterwards, so the exp here only sees arguments <= 0.
 */
export function softmaxStatsSource(cols: number, inlineExp: boolean): string {
  return `function (x) {
const r = this.thread.x;
${rowMaxLines(cols)}
let s = 0;
for (let c = 0; c < ${cols}; c++) {
${expLines('x[r][c] - mx', 'e', inlineExp)}
s += e;
}
return [mx, s];
}`;
}

/** Thread (x = column, y = row): exp(x - max) / sum with the row's stats. */
export function softmaxApplySource(inlineExp: boolean): string {
  return `function (x, stats) {
const r = this.thread.y;
${expLines('x[r][this.thread.x] - stats[r][0]', 'e', inlineExp)}
return e / stats[r][1];
}`;
}

/** Per row: max + log(sum exp(x - max)); a non-finite max (all -Infinity, +Infinity, NaN) is the answer. */
export function logSumExpSource(cols: number, inlineExp: boolean): string {
  return `function (x) {
const r = this.thread.x;
${rowMaxLines(cols)}
if (mx > -Infinity && mx < Infinity) {
let s = 0;
for (let c = 0; c < ${cols}; c++) {
${expLines('x[r][c] - mx', 'e', inlineExp)}
s += e;
}
return mx + Math.log(s);
}
return mx;
}`;
}
