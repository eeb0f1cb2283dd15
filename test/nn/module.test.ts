/** Module bookkeeping: names, sharing, train/eval, and stateDict / loadStateDict with strict checks. */
import { describe, expect, test } from 'vitest';
import { Generator, randn, tensor, zeros, type Tensor } from '../../src/autograd/index.js';
import { Linear, Module, ModuleList, StateDictError } from '../../src/nn/index.js';
import { sameAsSnapshot, snapshot, tinyGPT } from './helpers.js';

class Pair extends Module {
  readonly a: Linear;
  readonly b: Linear;
  constructor(shared: boolean) {
    super();
    const gen = new Generator(0);
    this.a = this.addModule('a', new Linear(2, 2, { dtype: 'float64', generator: gen }));
    this.b = this.addModule('b', shared ? this.a : new Linear(2, 2, { dtype: 'float64', generator: gen }));
  }
}

describe('Module', () => {
  test('dotted names, registration order, shared modules listed once', () => {
    expect(new Pair(false).namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    expect(new Pair(true).namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
  });

  test('ModuleList names children 0, 1, ... and iterates them', () => {
    const list = new ModuleList([new Pair(false), new Pair(false)]);
    expect(list.length).toBe(2);
    expect(list.namedParameters()[4]![0]).toBe('1.a.weight');
    expect([...list].length).toBe(2);
    expect(() => list.at(2)).toThrow(/index 2 is out of range for 2 modules/);
  });

  test('train() and eval() reach every descendant', () => {
    const model = tinyGPT(0);
    model.eval();
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
  });

  test('names are validated and cannot be reused', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.addParameter(name, zeros([1], { dtype: 'float64' }));
        this.addParameter('w', zeros([1], { dtype: 'float64' }));
      }
    }
    expect(() => new Bad('a.b')).toThrow(/'a\.b' is not a valid name/);
    expect(() => new Bad('w')).toThrow(/the name 'w' is already taken/);
  });
});

describe('stateDict / loadStateDict', () => {
  test('round trip restores the weights exactly; the state is a copy', () => {
    const source = tinyGPT(1);
    const target = tinyGPT(2);
    const state = source.stateDict();
    source.parameters()[0]!.data[0] = 123;
    expect(state['wte.weight']!.data[0]).not.toBe(123);
    target.loadStateDict(state);
    const t = target.parameters();
    expect(t.slice(1).every((p, i) => p.data.every((v, j) => Object.is(v, source.parameters()[i + 1]!.data[j])))).toBe(true);
  });

  function expectRejected(mutate: (state: Record<string, Tensor>) => void, message: RegExp): void {
    const model = tinyGPT(3);
    const state = tinyGPT(4).stateDict();
    mutate(state);
    const before = snapshot(model.parameters());
    let error: unknown;
    try {
      model.loadStateDict(state);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/nothing was loaded/);
    expect(sameAsSnapshot(model.parameters(), before)).toBe(true);
  }

  test('a missing name is rejected and nothing is loaded', () => {
    expectRejected((s) => delete s['lnF.bias'], /missing 'lnF\.bias' \(float64 \[8\]\)/);
  });

  test('an unexpected name is rejected', () => {
    expectRejected((s) => (s['lmHead.weight'] = randn([11, 8], { dtype: 'float64' })), /unexpected 'lmHead\.weight'/);
  });

  test('a wrong shape is rejected', () => {
    expectRejected(
      (s) => (s['wpe.weight'] = zeros([5, 8], { dtype: 'float64' })),
      /'wpe\.weight': shape \[5,8\] in the state, \[4,8\] in the model/,
    );
  });

  test('a wrong dtype is rejected', () => {
    expectRejected(
      (s) => (s['lnF.weight'] = tensor(new Array<number>(8).fill(1), { dtype: 'float32' })),
      /'lnF\.weight': dtype float32 in the state, float64/,
    );
  });

  test('every problem is listed at once', () => {
    expectRejected((s) => {
      delete s['lnF.bias'];
      s.extra = zeros([1], { dtype: 'float64' });
    }, /missing 'lnF\.bias'[\s\S]*unexpected 'extra'/);
  });
});
