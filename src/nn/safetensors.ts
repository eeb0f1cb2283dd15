/**
 * The safetensors format (Hugging Face), pure encode/decode on bytes, usable in the browser:
 *
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   UTF-8 JSON: { name: { dtype: "F32" | "F64", shape: [...], data_offsets: [begin, end] }, ...,
 *             "__metadata__": { string: string } }   (padded with spaces to a multiple of 8)
 *   rest      the tensors' bytes, little-endian, each at [begin, end) of this data section
 *
 * Decoding validates everything before building any tensor, and every failure is a SafetensorsError with a
 * message naming what is wrong: the header length (within the file, and sane), the JSON, every entry's dtype,
 * shape and offsets, that shape x dtype size equals the byte range, and that the ranges tile the data section
 * exactly (in bounds, contiguous, not overlapping, nothing left over).
 */
import { Tensor, type DType } from '../autograd/index.js';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const CODES: Record<DType, 'F32' | 'F64'> = { float32: 'F32', float64: 'F64' };
const DTYPES: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 },
  F64: { dtype: 'float64', bytes: 8 },
};
/** The safetensors dtype codes this library cannot read, named in errors so they read better than "unknown". */
const OTHER_KNOWN = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2'];
/** The reference implementation's limit on the header size. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Encodes named float tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Iterable<[string, Tensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const list = [...tensors];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || name.length === 0 || name in header)
      throw new SafetensorsError(`invalid or repeated tensor name '${name}'`);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of list) {
    const size = t.dtype === 'float64' ? 8 : 4;
    for (let i = 0; i < t.data.length; i++, at += size) {
      if (size === 8) view.setFloat64(at, t.data[i]!, true);
      else view.setFloat32(at, t.data[i]!, true);
    }
  }
  return out;
}

interface Entry {
  name: string;
  dtype: DType;
  bytes: number;
  shape: number[];
  begin: number;
  end: number;
}

function fail(message: string): never {
  throw new SafetensorsError(message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, raw: unknown, dataLength: number): Entry {
  if (name.length === 0) fail('a tensor has an empty name');
  if (!isPlainObject(raw)) fail(`tensor '${name}': its header entry is not an object`);
  const extra = Object.keys(raw).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) fail(`tensor '${name}': unexpected header field(s) ${extra.join(', ')}`);
  const code = raw.dtype;
  if (typeof code !== 'string') fail(`tensor '${name}': dtype is missing or not a string`);
  const known = DTYPES[code];
  if (!known) {
    fail(
      OTHER_KNOWN.includes(code)
        ? `tensor '${name}': dtype ${code} is not supported (only F32 and F64)`
        : `tensor '${name}': unknown dtype '${code}'`,
    );
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${name}': shape must be an array of non-negative integers`);
  const offsets = raw.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor '${name}': data_offsets must be [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) fail(`tensor '${name}': data_offsets [${begin}, ${end}] run past the data section (${dataLength} bytes)`);
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count * known.bytes)) fail(`tensor '${name}': shape [${shape.join(', ')}] is too large`);
  }
  if (count * known.bytes !== end - begin) {
    fail(
      `tensor '${name}': shape [${shape.join(', ')}] x ${code} needs ${count * known.bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype: known.dtype, bytes: known.bytes, shape: shape as number[], begin, end };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (!isPlainObject(raw)) fail('__metadata__ must be an object of strings');
  for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') fail(`__metadata__ value of '${k}' is not a string`);
  return { ...(raw as Record<string, string>) };
}

/** Decodes and fully validates a safetensors file; see the file comment for what is checked. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declared} is larger than the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(declared);
  if (n > bytes.length - 8) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  if (n < 2) fail(`header length ${n} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) fail('the header is not a JSON object');
  const dataLength = bytes.length - 8 - n;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(raw);
    else entries.push(parseEntry(name, raw, dataLength));
  }
  // The ranges must tile [0, dataLength): sorted by begin, each starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < covered)
      fail(`tensors '${previous!.name}' [${previous!.begin}, ${previous!.end}) and '${e.name}' [${e.begin}, ${e.end}) overlap`);
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data section belong to no tensor`);
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) fail(`the data section has ${dataLength} bytes but the tensors cover ${covered}`);

  const tensors = new Map<string, Tensor>();
  const base = 8 + n;
  for (const e of entries) {
    const count = (e.end - e.begin) / e.bytes;
    const data = e.dtype === 'float64' ? new Float64Array(count) : new Float32Array(count);
    for (let i = 0, at = base + e.begin; i < count; i++, at += e.bytes) {
      data[i] = e.bytes === 8 ? view.getFloat64(at, true) : view.getFloat32(at, true);
    }
    tensors.set(e.name, new Tensor(data, e.shape));
  }
  return { tensors, metadata };
}
