/**
 * Kernel results into row-major Float32Arrays. webasm produces one fresh flat Float32Array per run (and
 * keepFlat, adapter.ts, stops it cutting that into nested row views); other modes return nested arrays,
 * flattened here. A matmul's blocked output is laid out as [batch][m][n] with the bias added on the way.
 */

function isNumberArrayLike(value: unknown): value is ArrayLike<number> {
  return value instanceof Float32Array || (Array.isArray(value) && (value.length === 0 || typeof value[0] === 'number'));
}

/** Copies a nested gpu.js result (arrays of arrays of Float32Array or number[]) into `out` from `offset`. */
function flattenInto(value: unknown, out: Float32Array, offset: number): number {
  if (isNumberArrayLike(value)) {
    if (value instanceof Float32Array) out.set(value, offset);
    else for (let i = 0; i < value.length; i++) out[offset + i] = value[i]!;
    return offset + value.length;
  }
  if (Array.isArray(value)) {
    for (const item of value) offset = flattenInto(item, out, offset);
    return offset;
  }
  throw new Error(`gpujs: unexpected kernel result of type ${typeof value}`);
}

/** The flat float32 data of a kernel result of `length` values: the result itself when it already is. */
export function flatResult(result: unknown, length: number): Float32Array {
  if (result instanceof Float32Array && result.length === length) return result;
  const out = new Float32Array(length);
  const end = flattenInto(result, out, 0);
  if (end !== length) throw new Error(`gpujs: kernel returned ${end} values, expected ${length}`);
  return out;
}

/**
 * The kernel wrote C (or C^T when `swap`) as [batch][block of 4 columns][row][4]; this lays it out as
 * row-major [batch][m][n], dropping the padding columns of the last block.
 */
export function unpackMatmul(
  data: Float32Array,
  batches: number,
  rows: number,
  cols: number,
  blocks: number,
  swap: boolean,
  bias: Float32Array | null,
): Float32Array {
  const out = new Float32Array(batches * rows * cols);
  for (let z = 0; z < batches; z++) {
    const outBase = z * rows * cols;
    for (let jb = 0; jb < blocks; jb++) {
      const width = Math.min(4, cols - jb * 4);
      const src = (z * blocks + jb) * rows * 4;
      if (swap) {
        // C^T[i][j] = C[j][i]: row i of the kernel's result is column i of C (C has `cols` rows here).
        // The bias runs along C's columns, which are the kernel's rows here.
        for (let c = 0; c < width; c++) {
          const dst = outBase + (jb * 4 + c) * rows;
          if (bias) for (let i = 0; i < rows; i++) out[dst + i] = data[src + i * 4 + c]! + bias[i]!;
          else for (let i = 0; i < rows; i++) out[dst + i] = data[src + i * 4 + c]!;
        }
      } else if (width === 4) {
        // A full block: four values per row (the common case, written out).
        const j = jb * 4;
        const [b0, b1, b2, b3] = bias ? [bias[j]!, bias[j + 1]!, bias[j + 2]!, bias[j + 3]!] : [0, 0, 0, 0];
        let dst = outBase + j;
        for (let i = 0, s = src; i < rows; i++, s += 4, dst += cols) {
          out[dst] = data[s]! + b0;
          out[dst + 1] = data[s + 1]! + b1;
          out[dst + 2] = data[s + 2]! + b2;
          out[dst + 3] = data[s + 3]! + b3;
        }
      } else {
        for (let i = 0; i < rows; i++) {
          const dst = outBase + i * cols + jb * 4;
          for (let c = 0; c < width; c++) out[dst + c] = data[src + i * 4 + c]! + (bias ? bias[jb * 4 + c]! : 0);
        }
      }
    }
  }
  return out;
}
