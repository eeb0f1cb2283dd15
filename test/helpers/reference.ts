/**
 * Straightforward float64 reference implementations for the op tests: multi-index loops, no cleverness, so
 * that each one can be checked by reading it. `Ref` is a plain shape + Float64Array.
 */
export interface Ref {
  shape: number[];
  data: Float64Array;
}

export function ref(shape: readonly number[], values: ArrayLike<number>): Ref {
  return { shape: [...shape], data: Float64Array.from(values) };
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** The multi-index of flat offset `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    index[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return index;
}

export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + index[i]!;
  return flat;
}

/** x[index] where x broadcasts to a shape of rank index.length (missing leading dims, size-1 dims). */
export function atBroadcast(x: Ref, index: readonly number[]): number {
  const lead = index.length - x.shape.length;
  const own = x.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!));
  return x.data[ravel(own, x.shape)]!;
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => {
    let d = 1;
    for (const s of shapes) {
      const di = s[s.length - n + i] ?? 1;
      if (di !== 1) d = di;
    }
    return d;
  });
}

export function map(x: Ref, f: (v: number) => number): Ref {
  return { shape: [...x.shape], data: x.data.map(f) };
}

/** f applied elementwise over the broadcast of all inputs. */
export function zip(inputs: readonly Ref[], f: (...v: number[]) => number): Ref {
  const shape = broadcastShape(...inputs.map((x) => x.shape));
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = unravel(i, shape);
    data[i] = f(...inputs.map((x) => atBroadcast(x, index)));
  }
  return { shape, data };
}

/** Folds the elements over `axes` with `f` starting from `init`. */
export function reduce(x: Ref, axes: readonly number[], keepdim: boolean, init: number, f: (acc: number, v: number) => number): Ref {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const data = new Float64Array(sizeOf(kept)).fill(init);
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape).map((v, k) => (axes.includes(k) ? 0 : v));
    const o = ravel(index, kept);
    data[o] = f(data[o]!, x.data[i]!);
  }
  const shape = keepdim ? kept : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data };
}

export function permute(x: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((p) => x.shape[p]!);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const out = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = out[k]!));
    data[i] = x.data[ravel(src, x.shape)]!;
  }
  return { shape, data };
}

/** The box [starts, ends) of x. */
export function sliceBox(x: Ref, starts: readonly number[], ends: readonly number[]): Ref {
  const shape = starts.map((s, i) => ends[i]! - s);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = unravel(i, shape).map((v, k) => v + starts[k]!);
    data[i] = x.data[ravel(index, x.shape)]!;
  }
  return { shape, data };
}

/** x placed into zeros of `shape` at offsets `starts`. */
export function padBox(x: Ref, starts: readonly number[], shape: readonly number[]): Ref {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape).map((v, k) => v + starts[k]!);
    data[ravel(index, shape)] = x.data[i]!;
  }
  return { shape: [...shape], data };
}

export function concatRef(xs: readonly Ref[], axis: number): Ref {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis]!, 0);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = unravel(i, shape);
    let j = index[axis]!;
    let part = 0;
    while (j >= xs[part]!.shape[axis]!) j -= xs[part++]!.shape[axis]!;
    index[axis] = j;
    data[i] = xs[part]!.data[ravel(index, xs[part]!.shape)]!;
  }
  return { shape, data };
}

/** Naive triple loop, batch dims broadcast, op(a) op(b) with optional transposes of the last two dims. */
export function matmulRef(a: Ref, b: Ref, transA = false, transB = false): Ref {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aBatch = { shape: a.shape.slice(0, -2), data: new Float64Array(0) };
  const bBatch = { shape: b.shape.slice(0, -2), data: new Float64Array(0) };
  const shape = [...batch, m, n];
  const data = new Float64Array(sizeOf(shape));
  const batchIndexOf = (own: Ref, index: number[]): number[] => {
    const lead = index.length - own.shape.length;
    return own.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!));
  };
  for (let t = 0; t < sizeOf(batch); t++) {
    const bi = unravel(t, batch);
    const ia = batchIndexOf(aBatch, bi);
    const ib = batchIndexOf(bBatch, bi);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a.data[ravel([...ia, ...(transA ? [p, i] : [i, p])], a.shape)]!;
          const bv = b.data[ravel([...ib, ...(transB ? [j, p] : [p, j])], b.shape)]!;
          s += av * bv;
        }
        data[ravel([...bi, i, j], shape)] = s;
      }
    }
  }
  return { shape, data };
}

/** Rows along `axis`: calls f with the row's values and writes back what it returns (same length). */
export function alongAxis(x: Ref, axis: number, f: (row: number[]) => number[]): Ref {
  const data = new Float64Array(x.data.length);
  const reduced = x.shape.map((d, i) => (i === axis ? 1 : d));
  for (let r = 0; r < sizeOf(reduced); r++) {
    const base = unravel(r, reduced);
    const offsets = Array.from({ length: x.shape[axis]! }, (_, j) => {
      const index = [...base];
      index[axis] = j;
      return ravel(index, x.shape);
    });
    const out = f(offsets.map((o) => x.data[o]!));
    offsets.forEach((o, j) => (data[o] = out[j]!));
  }
  return { shape: [...x.shape], data };
}
