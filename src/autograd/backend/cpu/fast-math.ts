/**
 * exp and tanh to float32 accuracy without a call out of the generated code (Math.exp and Math.tanh are calls
 * into V8's C++ fdlibm; the timings are in bench/README.md, Decisions). Only the tuned float32 kernels use
 * them; float64 (the verification dtype) always calls Math.
 */

/** 2^k for k = -151..0: the scale step of `expNonPositive` (2^-151 and below round to 0 in float32). */
const POW2 = Float64Array.from({ length: 152 }, (_, i) => 2 ** (i - 151));

/**
 * e^t for t <= 0 (every exp in a max-shifted softmax or log-sum-exp): t = n ln2 + r with n = round(t / ln2)
 * (ln2 split in two, Cody-Waite, so r is exact), e^r by its degree-7 Taylor polynomial on |r| <= ln2/2, times
 * 2^n from a table. Measured against Math.exp on [-104, 0] in steps of 1e-5: relative error at most 7e-9
 * (float32's ulp is 6e-8). Below -104 the result underflows float32: 0; NaN stays NaN. Positive t is not
 * supported (the callers shift by the row maximum first).
 */
export function expNonPositive(t: number): number {
  if (!(t >= -104)) return t !== t ? Number.NaN : 0;
  const n = Math.floor(t * Math.LOG2E + 0.5);
  const r = t - n * 0.6931471803691238 - n * 1.9082149292705877e-10;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r / 5040))))));
  return p * POW2[n + 151]!;
}

/**
 * tanh: Eigen's rational minimax approximation (odd degree-13 numerator, even degree-6 denominator) for
 * |u| < 7.9, Math.tanh beyond (where float32 tanh is 1 to within 3e-7; rare for GELU inputs). Measured
 * against Math.tanh on [-7.9, 7.9] in steps of 1e-5: relative error at most 1.3e-7 (about one float32 ulp),
 * and 1 - t^2 within 4.6e-8 absolute.
 */
export function tanhFloat32(u: number): number {
  if (!(u > -7.9 && u < 7.9)) return Math.tanh(u);
  const u2 = u * u;
  let p = u2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = u2 * p + -8.60467152213735e-11;
  p = u2 * p + 5.12229709037114e-8;
  p = u2 * p + 1.48572235717979e-5;
  p = u2 * p + 6.37261928875436e-4;
  p = u2 * p + 4.89352455891786e-3;
  let q = u2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = u2 * q + 2.268434632439e-3;
  q = u2 * q + 4.89352518554385e-3;
  return (u * p) / q;
}

/** A row's maximum: the shift that keeps every exp(x - shift) <= 1. NaN propagates; an empty row gives -inf. */
export function rowMax(x: ArrayLike<number>, base: number, cols: number): number {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) if (!(x[base + c]! <= max)) max = x[base + c]!;
  return max;
}

/**
 * exp(x[base + c] - shift) for a row, written to out[outBase + c] (when out is given), and their sum: the
 * shared inner loop of softmax, log-sum-exp and cross-entropy rows. float32 rows shifted by their finite
 * maximum take the inline exp (every argument is <= 0); anything else takes Math.exp.
 */
export function shiftedRowExps(
  x: Float64Array | Float32Array,
  base: number,
  cols: number,
  shift: number,
  fast: boolean,
  out: Float64Array | Float32Array | null,
  outBase: number,
): number {
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    const e = fast ? expNonPositive(x[base + c]! - shift) : Math.exp(x[base + c]! - shift);
    if (out) out[outBase + c] = e;
    sum += e;
  }
  return sum;
}
