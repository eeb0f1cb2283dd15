/**
 * GPT's structure and properties: parameter names and nanoGPT initialisation, causality (a property test),
 * padding that does not leak, float32 and float64 from the same code, and clear errors.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Generator } from '../../src/autograd/index.js';
import { GPT } from '../../src/nn/index.js';
import { maxAbsDiff, randomIds, tinyGPT, TINY } from './helpers.js';

/** Logits [B, T, V] as rows: rows[b][t] is the V logits of position t. */
function logitRows(model: GPT, ids: number[][], paddingMask?: number[][]): number[][][] {
  const logits = model.forward(ids, paddingMask ? { paddingMask } : {});
  const [B, T, V] = logits.shape as [number, number, number];
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => Array.from(logits.data.subarray((b * T + t) * V, (b * T + t + 1) * V))),
  );
}

describe('GPT structure and initialisation', () => {
  test('parameter names follow the module tree; tied embeddings have no separate output matrix', () => {
    const names = tinyGPT(0)
      .namedParameters()
      .map(([n]) => n);
    expect(names).toEqual([
      'wte.weight',
      'wpe.weight',
      'blocks.0.ln1.weight',
      'blocks.0.ln1.bias',
      'blocks.0.attn.qkv.weight',
      'blocks.0.attn.qkv.bias',
      'blocks.0.attn.proj.weight',
      'blocks.0.attn.proj.bias',
      'blocks.0.ln2.weight',
      'blocks.0.ln2.bias',
      'blocks.0.mlp.fc.weight',
      'blocks.0.mlp.fc.bias',
      'blocks.0.mlp.proj.weight',
      'blocks.0.mlp.proj.bias',
      'lnF.weight',
      'lnF.bias',
    ]);
  });

  test('nanoGPT init: std 0.02, residual projections 0.02/sqrt(2 layers), biases 0, LayerNorm 1/0', () => {
    const layers = 3;
    const model = new GPT({ vocabSize: 64, contextLength: 32, width: 64, heads: 4, layers, dtype: 'float64' }, new Generator(0));
    const std = (xs: ArrayLike<number>): number => {
      const a = Array.from(xs);
      const mu = a.reduce((s, v) => s + v, 0) / a.length;
      return Math.sqrt(a.reduce((s, v) => s + (v - mu) ** 2, 0) / a.length);
    };
    for (const [name, p] of model.namedParameters()) {
      if (name.endsWith('.bias'))
        expect(
          p.data.every((v) => v === 0),
          name,
        ).toBe(true);
      else if (/ln1|ln2|lnF/.test(name))
        expect(
          p.data.every((v) => v === 1),
          name,
        ).toBe(true);
      else {
        const expected = /proj\.weight$/.test(name) ? 0.02 / Math.sqrt(2 * layers) : 0.02;
        // A sample standard deviation over >= 4096 draws is within 5% of the truth with overwhelming probability.
        expect(Math.abs(std(p.data) / expected - 1), name).toBeLessThan(0.05);
      }
    }
  });

  test('the same seed gives the same weights; a different seed different ones', () => {
    const a = tinyGPT(9).parameters();
    const b = tinyGPT(9).parameters();
    const c = tinyGPT(10).parameters();
    expect(a.every((p, i) => p.data.every((v, j) => Object.is(v, b[i]!.data[j])))).toBe(true);
    expect(a[0]!.data.some((v, j) => v !== c[0]!.data[j])).toBe(true);
  });

  test('logits have shape [B, T, vocab] and accept number[][], Int32Array rows and tensors', () => {
    const model = tinyGPT(0);
    const ids = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const a = model.forward(ids);
    expect(a.shape).toEqual([2, 3, 11]);
    const b = model.forward(ids.map((r) => Int32Array.from(r)));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  test('bad inputs are clear errors', () => {
    const model = tinyGPT(0);
    expect(() => model.forward([[1, 11]])).toThrow(/token 11 at \[0, 1\] is not an id in \[0, 11\)/);
    expect(() => model.forward([[1, 2, 3, 4, 5]])).toThrow(/more than contextLength = 4/);
    expect(() => model.forward([[1, 2], [3]])).toThrow(/row 1 has length 1/);
    expect(() => model.forward([[1, 2]], { paddingMask: [[1]] })).toThrow(/paddingMask: shape \[1, 1\] does not match the ids \[1, 2\]/);
    expect(() => new GPT({ ...TINY, width: 9 }, new Generator(0))).toThrow(/not divisible by 2 heads/);
  });
});

describe('GPT properties', () => {
  const model = tinyGPT(21, { contextLength: 8, layers: 2 });

  test('causality: changing tokens after position t never changes logits at positions <= t', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 6 }),
        (ids, other, t) => {
          const changed = [...ids.slice(0, t + 1), ...other.slice(t + 1)];
          const [a, b] = [logitRows(model, [ids])[0]!, logitRows(model, [changed])[0]!];
          for (let i = 0; i <= t; i++) if (maxAbsDiff(a[i]!, b[i]!) !== 0) return false;
          return true;
        },
      ),
    );
  });

  test('padding does not leak: a left- or right-padded row gives the logits of the row alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 8, maxLength: 8 }),
        (ids, padCount, junk) => {
          const alone = logitRows(model, [ids])[0]!;
          const pads = junk.slice(0, padCount);
          const left = logitRows(model, [[...pads, ...ids]], [[...pads.map(() => 0), ...ids.map(() => 1)]])[0]!;
          const right = logitRows(model, [[...ids, ...pads]], [[...ids.map(() => 1), ...pads.map(() => 0)]])[0]!;
          return ids.every((_, i) => maxAbsDiff(alone[i]!, left[padCount + i]!) < 1e-12 && maxAbsDiff(alone[i]!, right[i]!) < 1e-12);
        },
      ),
    );
  });

  test('float32 and float64 models from the same code and seed agree to float32 precision', () => {
    const f64 = tinyGPT(5);
    const f32 = tinyGPT(5, { dtype: 'float32' });
    expect(f32.dtype).toBe('float32');
    const ids = randomIds(new Generator(1), 2, 4, 11);
    expect(maxAbsDiff(f64.forward(ids).data, f32.forward(ids).data)).toBeLessThan(1e-5);
  });

  test('to(dtype) casts in place; clone(dtype) copies with the same weights', () => {
    const m = tinyGPT(6);
    const ids = [[1, 2, 3, 4]];
    const before = Float64Array.from(m.forward(ids).data);
    const c = m.clone('float32');
    expect(c.dtype).toBe('float32');
    expect(maxAbsDiff(c.forward(ids).data, before)).toBeLessThan(1e-5);
    c.parameters()[0]!.data[0] = 42;
    expect(m.parameters()[0]!.data[0]).not.toBe(42);
    m.to('float32');
    expect(m.dtype).toBe('float32');
    expect(m.config.dtype).toBe('float32');
    expect(m.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(maxAbsDiff(m.forward(ids).data, before)).toBeLessThan(1e-5);
  });

  test('dropout is active in train mode only, and seeded', () => {
    const d = tinyGPT(7, { dropout: 0.5 });
    const ids = [[1, 2, 3, 4]];
    d.eval();
    const e1 = Array.from(d.forward(ids).data);
    expect(Array.from(d.forward(ids).data)).toEqual(e1);
    d.train();
    const t1 = Array.from(d.forward(ids).data);
    expect(maxAbsDiff(t1, e1)).toBeGreaterThan(0);
    const d2 = tinyGPT(7, { dropout: 0.5 });
    expect(Array.from(d2.forward(ids).data)).toEqual(t1);
  });
});
