/**
 * Checkpoints: bit-exact round trips, and fuzzing of corrupted files. Whatever is wrong with a file, loading
 * throws a SafetensorsError or CheckpointError that says what, and the model keeps every weight it had.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Generator, tensor } from '../../src/autograd/index.js';
import {
  AdamW,
  CheckpointError,
  SafetensorsError,
  decodeSafetensors,
  encodeModel,
  encodeSafetensors,
  loadModelBytes,
  trainStep,
  type GPT,
} from '../../src/nn/index.js';
import {
  loadModel,
  loadTrainingCheckpoint,
  saveModel,
  saveTrainingCheckpoint,
  writeFileAtomic,
} from '../../src/nn/node/checkpoint-file.js';
import { randomIds, sameAsSnapshot, snapshot, tinyGPT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'selm-nn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

/** The header object and data section of a safetensors file. */
function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>, data: bytes.subarray(8 + n) };
}

/** A file from a header object (serialised as is) and a data section. */
function join2(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors round trip', () => {
  test('float32 and float64 tensors come back bit for bit (signed zeros, subnormals, extremes)', () => {
    const specials = [0, -0, 1, -1.5, 5e-324, 1.7976931348623157e308, -Infinity, Infinity, Math.PI];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...specials),
            fc.integer({ min: -1e6, max: 1e6 }).map((k) => k / 7),
          ),
          { minLength: 0, maxLength: 12 },
        ),
        fc.constantFrom('float32' as const, 'float64' as const),
        (values, dtype) => {
          const t = tensor(values, { dtype, shape: [values.length] });
          const s = tensor([[1, 2, 3]], { dtype });
          const { tensors, metadata } = decodeSafetensors(
            encodeSafetensors(
              [
                ['a', t],
                ['b.c', s],
              ],
              { note: 'x' },
            ),
          );
          expect(metadata).toEqual({ note: 'x' });
          expect(tensors.get('a')!.dtype).toBe(dtype);
          expect(tensors.get('b.c')!.shape).toEqual([1, 3]);
          return bitsEqual(tensors.get('a')!.data, t.data);
        },
      ),
    );
  });

  test('the layout follows the spec: u64 LE header length, 8-byte aligned JSON, F32/F64 entries, LE data', () => {
    const bytes = encodeSafetensors([['w', tensor([1, 2], { dtype: 'float32' })]], { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const { header, data } = split(bytes);
    expect(header).toEqual({ __metadata__: { k: 'v' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(Array.from(data)).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  test('a model round trip through a file is bit-exact, and the write is atomic (no temp files left)', () => {
    const source = tinyGPT(1);
    const target = tinyGPT(2);
    const path = join(dir, 'model.safetensors');
    saveModel(path, source, { step: '7' });
    expect(loadModel(path, target)).toEqual({ step: '7' });
    expect(source.parameters().every((p, i) => bitsEqual(p.data, target.parameters()[i]!.data))).toBe(true);
    saveModel(path, target);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
  });

  test('a training checkpoint resumes bit-identically (model and AdamW state)', () => {
    const gen = new Generator(3);
    const batches = Array.from({ length: 4 }, () => {
      const rows = randomIds(gen, 2, 5, 11);
      return { inputs: rows.map((r) => r.slice(0, 4)), targets: rows.map((r) => r.slice(1)) };
    });
    const a = tinyGPT(4);
    const optA = new AdamW(a.parameters(), { lr: 0.01 });
    batches.slice(0, 2).forEach((b) => trainStep(a, optA, b));
    const path = join(dir, 'train.safetensors');
    saveTrainingCheckpoint(path, a, optA, { step: '2' });
    batches.slice(2).forEach((b) => trainStep(a, optA, b));

    const b = tinyGPT(99);
    const optB = new AdamW(b.parameters(), { lr: 0.5 });
    expect(loadTrainingCheckpoint(path, b, optB)).toEqual({ step: '2' });
    expect(optB.lr).toBe(0.01);
    batches.slice(2).forEach((batch) => trainStep(b, optB, batch));
    expect(a.parameters().every((p, i) => bitsEqual(p.data, b.parameters()[i]!.data))).toBe(true);
  });
});

describe('corrupted files: a clear error, and nothing loaded', () => {
  const good = encodeModel(tinyGPT(5), { origin: 'test' });
  const model: GPT = tinyGPT(6);
  const before = snapshot(model.parameters());

  function expectRejected(bytes: Uint8Array, message?: RegExp): void {
    let error: unknown = null;
    try {
      loadModelBytes(model, bytes);
    } catch (e) {
      error = e;
    }
    expect(error instanceof SafetensorsError || error instanceof CheckpointError, String(error)).toBe(true);
    if (message) expect((error as Error).message).toMatch(message);
    expect(sameAsSnapshot(model.parameters(), before)).toBe(true);
  }

  test('truncated anywhere', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: good.length - 1 }), (k) => expectRejected(good.slice(0, k))));
    expectRejected(good.slice(0, 5), /fewer than the 8-byte header length/);
    expectRejected(good.slice(0, good.length - 1), /tensor 'lnF\.bias': data_offsets \[\d+, \d+\] run past the data section/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expectRejected(longer, /the data section has \d+ bytes but the tensors cover \d+/);
  });

  test('header length too large, beyond the file, or too small', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: BigInt(good.length - 7), max: (1n << 64n) - 1n }), (n) => {
        const bytes = good.slice();
        new DataView(bytes.buffer).setBigUint64(0, n, true);
        expectRejected(bytes, /header length \d+ (runs past the end of the file|is larger than the limit)/);
      }),
    );
    const tiny = good.slice();
    new DataView(tiny.buffer).setBigUint64(0, 1n, true);
    expectRejected(tiny, /too short/);
  });

  test('header that is not JSON, not an object, or not UTF-8', () => {
    const { data } = split(good);
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 30 }), (text) => {
        let isJson = true;
        try {
          JSON.parse(text);
        } catch {
          isJson = false;
        }
        expectRejected(join2(text, data), isJson ? undefined : /not valid JSON/);
      }),
    );
    expectRejected(join2('[1, 2]', data), /not a JSON object/);
    const bad = join2('{"a": 1}', data);
    bad[10] = 0xff;
    expectRejected(bad, /not valid UTF-8/);
  });

  /** Applies `edit` to one tensor's header entry, chosen by index. */
  function editEntry(index: number, edit: (entry: { dtype: unknown; shape: unknown; data_offsets: unknown }) => void): Uint8Array {
    const { header, data } = split(good);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    edit(header[names[index % names.length]!] as { dtype: unknown; shape: unknown; data_offsets: unknown });
    return join2(header, data);
  }

  test('unknown or unsupported dtypes', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('F16', 'BF16', 'I64', 'XYZ', 'f32', ''), (i, code) => {
        expectRejected(
          editEntry(i, (e) => (e.dtype = code)),
          /(unknown dtype|is not supported)/,
        );
      }),
    );
    expectRejected(
      editEntry(0, (e) => (e.dtype = 32)),
      /dtype is missing or not a string/,
    );
  });

  test('shapes that do not match their byte ranges', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 5 }), (i, extra) => {
        expectRejected(
          editEntry(i, (e) => (e.shape = [...(e.shape as number[]), extra + 1])),
          /needs \d+ bytes but data_offsets \[\d+, \d+\] hold \d+/,
        );
      }),
    );
    expectRejected(
      editEntry(0, (e) => (e.shape = [-1])),
      /shape must be an array of non-negative integers/,
    );
    expectRejected(
      editEntry(0, (e) => (e.shape = [2 ** 40, 2 ** 40])),
      /too large/,
    );
  });

  test('offsets out of bounds, reversed, overlapping or leaving gaps', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 64 }), (i, shift) => {
        // Moving one range by a few bytes breaks the tiling (overlap, gap, or out of bounds).
        expectRejected(
          editEntry(i, (e) => {
            const [b, end] = e.data_offsets as [number, number];
            e.data_offsets = [b + shift, end + shift];
          }),
          /(overlap|belong to no tensor|run past the data section|tensors cover)/,
        );
      }),
    );
    expectRejected(
      editEntry(1, (e) => (e.data_offsets = [0, (e.data_offsets as number[])[1]! - (e.data_offsets as number[])[0]!])),
      /overlap/,
    );
    expectRejected(
      editEntry(0, (e) => (e.data_offsets = [8, 0])),
      /end before they begin/,
    );
    expectRejected(
      editEntry(0, (e) => (e.data_offsets = [0])),
      /data_offsets must be \[begin, end\]/,
    );
  });

  test('extra fields and bad metadata', () => {
    expectRejected(
      editEntry(0, (e) => Object.assign(e, { extra: 1 })),
      /unexpected header field/,
    );
    const { header, data } = split(good);
    expectRejected(join2({ ...header, __metadata__: { a: 1 } }, data), /__metadata__ value of 'a' is not a string/);
  });

  test('names that do not match the model (renamed, missing, extra) are CheckpointErrors', () => {
    const { header, data } = split(good);
    const renamed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(header)) renamed[k === 'lnF.bias' ? 'lnF.b' : k] = v;
    expectRejected(join2(renamed, data), /missing 'lnF\.bias'[\s\S]*unexpected 'lnF\.b'/);
    expectRejected(encodeModel(tinyGPT(0, { tiedEmbeddings: false })), /unexpected 'lmHead\.weight'/);
    expectRejected(encodeModel(tinyGPT(0, { dtype: 'float32' })), /dtype float32 in the state, float64 in the model/);
  });

  test('random byte corruption either loads a complete model or fails cleanly', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = good.slice();
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        const fresh = tinyGPT(6);
        const snap = snapshot(fresh.parameters());
        try {
          loadModelBytes(fresh, bytes);
        } catch (e) {
          expect(e instanceof SafetensorsError || e instanceof CheckpointError, String(e)).toBe(true);
          expect(sameAsSnapshot(fresh.parameters(), snap)).toBe(true);
        }
      }),
    );
  });

  test('a bad file on disk changes nothing', () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, good.slice(0, 100));
    expect(() => loadModel(path, model)).toThrow(SafetensorsError);
    expect(sameAsSnapshot(model.parameters(), before)).toBe(true);
  });
});
