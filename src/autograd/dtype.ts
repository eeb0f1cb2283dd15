/** The two floating-point dtypes of the engine: float64 for verification, float32 for training. */
export type DType = 'float64' | 'float32';

export type TypedArray = Float64Array | Float32Array;

export function allocate(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

export function fromValues(dtype: DType, values: ArrayLike<number>): TypedArray {
  return dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}

export function dtypeOf(data: TypedArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

export function isDType(value: unknown): value is DType {
  return value === 'float64' || value === 'float32';
}
