/**
 * A small typed emitter of WebAssembly binary: enough of the format (one imported shared memory, functions of
 * i32/f32/v128 locals, structured control flow, scalar and SIMD instructions) to generate the wasm backend's
 * kernels from TypeScript at run time. No external compiler and no binary file: the bytes are built here.
 *
 * Encoding follows the WebAssembly core specification (binary format, sections 5.1-5.5) and the fixed-width
 * SIMD proposal's opcode table (prefix 0xfd, LEB128 sub-opcode).
 */

import { OP, SIMD, type ScalarOp, type SimdOp } from './opcodes.js';

export type ValType = 'i32' | 'f32' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A local (or parameter) of a function under construction, typed so a v128 cannot be used as an i32. */
export interface Local<T extends ValType = ValType> {
  readonly index: number;
  readonly type: T;
}

/**
 * The body of one function. Methods append instructions and return `this`, so code reads in stack order:
 * `f.get(x).get(y).op('f32.add').set(z)`.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];
  private depth = 0;

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  param<T extends ValType>(index: number, type: T): Local<T> {
    if (this.params[index] !== type) throw new Error(`emitter: parameter ${index} is ${this.params[index]}, not ${type}`);
    return { index, type };
  }

  local<T extends ValType>(type: T): Local<T> {
    this.localTypes.push(type);
    return { index: this.params.length + this.localTypes.length - 1, type };
  }

  get(l: Local): this {
    this.code.push(0x20);
    uleb(this.code, l.index);
    return this;
  }
  set(l: Local): this {
    this.code.push(0x21);
    uleb(this.code, l.index);
    return this;
  }
  tee(l: Local): this {
    this.code.push(0x22);
    uleb(this.code, l.index);
    return this;
  }
  i32(value: number): this {
    this.code.push(0x41);
    sleb(this.code, value);
    return this;
  }
  f32(value: number): this {
    this.code.push(0x43);
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    this.code.push(...bytes);
    return this;
  }
  op(name: ScalarOp): this {
    this.code.push(OP[name]);
    return this;
  }
  simd(name: SimdOp): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD[name]);
    return this;
  }
  /** i32 += delta, for pointer bumps. */
  addTo(l: Local<'i32'>, delta: number): this {
    return this.get(l).i32(delta).op('i32.add').set(l);
  }

  private memarg(op: number, prefixed: boolean, alignLog2: number, offset: number): this {
    if (prefixed) this.code.push(0xfd);
    uleb(this.code, op);
    uleb(this.code, alignLog2);
    uleb(this.code, offset);
    return this;
  }
  /** Loads take the address from the stack; `offset` is a constant byte offset added to it. */
  loadF32(offset = 0): this {
    return this.memarg(0x2a, false, 2, offset);
  }
  loadI32(offset = 0): this {
    return this.memarg(0x28, false, 2, offset);
  }
  storeF32(offset = 0): this {
    return this.memarg(0x38, false, 2, offset);
  }
  storeI32(offset = 0): this {
    return this.memarg(0x36, false, 2, offset);
  }
  loadV128(offset = 0): this {
    return this.memarg(0x00, true, 4, offset);
  }
  /** One f32 from memory into lane 0, the other lanes 0 (v128.load32_zero). */
  loadZero(offset = 0): this {
    return this.memarg(0x5c, true, 2, offset);
  }
  /** One f32 from memory, splat to all four lanes (v128.load32_splat). */
  loadSplat(offset = 0): this {
    return this.memarg(0x09, true, 2, offset);
  }
  storeV128(offset = 0): this {
    return this.memarg(0x0b, true, 4, offset);
  }
  /** i8x16.shuffle of the two v128 on the stack, by f32 lane: 0-3 pick from the first, 4-7 from the second. */
  shuffleF32(lanes: readonly [number, number, number, number]): this {
    this.code.push(0xfd, 0x0d);
    for (const lane of lanes) this.code.push(lane * 4, lane * 4 + 1, lane * 4 + 2, lane * 4 + 3);
    return this;
  }
  extractLane(lane: number): this {
    this.code.push(0xfd, 0x1f, lane);
    return this;
  }
  /** A v128 constant with the same f32 in every lane. */
  splat(value: number): this {
    return this.v128Const([value, value, value, value]);
  }
  v128Const(values: readonly [number, number, number, number]): this {
    this.code.push(0xfd, 0x0c);
    this.code.push(...new Uint8Array(new Float32Array(values).buffer));
    return this;
  }

  /** block ... end, with a label `exit` for br/br_if to leave it. */
  block(body: (exit: number) => void): this {
    this.code.push(0x02, 0x40);
    const label = ++this.depth;
    body(label);
    this.depth--;
    this.code.push(0x0b);
    return this;
  }
  /** loop ... end, with a label `next` for br/br_if to go round again. */
  loop(body: (next: number) => void): this {
    this.code.push(0x03, 0x40);
    const label = ++this.depth;
    body(label);
    this.depth--;
    this.code.push(0x0b);
    return this;
  }
  /** if (condition from the stack) then ... [else ...] end; with `result`, both arms leave one value of it. */
  if(then: () => void, otherwise?: () => void, result?: ValType): this {
    this.code.push(0x04, result ? VALTYPE[result] : 0x40);
    this.depth++;
    then();
    if (otherwise) {
      this.code.push(0x05);
      otherwise();
    }
    this.depth--;
    this.code.push(0x0b);
    return this;
  }
  /** Branches to a label made by block/loop (relative depth computed from the current nesting). */
  br(label: number): this {
    this.code.push(0x0c);
    uleb(this.code, this.depth - label);
    return this;
  }
  brIf(label: number): this {
    this.code.push(0x0d);
    uleb(this.code, this.depth - label);
    return this;
  }
  call(funcIndex: number): this {
    this.code.push(0x10);
    uleb(this.code, funcIndex);
    return this;
  }

  /**
   * `for (i = from; i < end; i += step) body()`, with i and end i32 locals; the body does not run when
   * from >= end.
   */
  forRange(i: Local<'i32'>, from: () => void, end: Local<'i32'>, step: number, body: () => void): this {
    from();
    this.set(i);
    return this.block((exit) => {
      this.get(i).get(end).op('i32.ge_s').brIf(exit);
      this.loop((next) => {
        body();
        this.addTo(i, step);
        this.get(i).get(end).op('i32.lt_s').brIf(next);
      });
    });
  }

  /** The function's code-section entry: locals (run-length grouped) then the body and `end`. */
  encode(): number[] {
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body: number[] = [];
    uleb(body, groups.length);
    for (const [count, type] of groups) {
      uleb(body, count);
      body.push(VALTYPE[type]);
    }
    for (const byte of this.code) body.push(byte);
    body.push(0x0b);
    const out: number[] = [];
    uleb(out, body.length);
    return out.concat(body);
  }
}

interface FunctionEntry {
  name: string | null;
  builder: FunctionBuilder;
}

/** A module of functions over one imported memory `env.memory` (shared, for threads, or not). */
export class ModuleBuilder {
  private readonly functions: FunctionEntry[] = [];
  private readonly aliases: [string, number][] = [];

  constructor(private readonly memory: { initial: number; maximum: number; shared: boolean }) {}

  /** Adds a function; returns its index (for `call`) and builder. Exported under `name` unless null. */
  func(name: string | null, params: readonly ValType[], results: readonly ValType[] = []): { index: number; f: FunctionBuilder } {
    const f = new FunctionBuilder(params, results);
    this.functions.push({ name, builder: f });
    return { index: this.functions.length - 1, f };
  }

  /** Exports an existing function under another name too. */
  alias(name: string, index: number): void {
    this.aliases.push([name, index]);
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]): void => {
      out.push(id);
      uleb(out, content.length);
      for (const byte of content) out.push(byte);
    };
    const name = (bytes: number[], s: string): void => {
      const encoded = new TextEncoder().encode(s);
      uleb(bytes, encoded.length);
      bytes.push(...encoded);
    };
    // Types: one per function (duplicates are allowed and keep this simple).
    const types: number[] = [];
    uleb(types, this.functions.length);
    for (const { builder } of this.functions) {
      types.push(0x60);
      uleb(types, builder.params.length);
      for (const p of builder.params) types.push(VALTYPE[p]);
      uleb(types, builder.results.length);
      for (const r of builder.results) types.push(VALTYPE[r]);
    }
    section(1, types);
    // Import: env.memory (limits flag 1: min and max present; 3: shared as well).
    const imports: number[] = [1];
    name(imports, 'env');
    name(imports, 'memory');
    imports.push(0x02, this.memory.shared ? 0x03 : 0x01);
    uleb(imports, this.memory.initial);
    uleb(imports, this.memory.maximum);
    section(2, imports);
    const funcs: number[] = [];
    uleb(funcs, this.functions.length);
    this.functions.forEach((_, i) => uleb(funcs, i));
    section(3, funcs);
    const exported: [string, number][] = [
      ...this.functions.flatMap((e, i): [string, number][] => (e.name === null ? [] : [[e.name, i]])),
      ...this.aliases,
    ];
    const exports: number[] = [];
    uleb(exports, exported.length);
    for (const [n, i] of exported) {
      name(exports, n);
      exports.push(0x00);
      uleb(exports, i);
    }
    section(7, exports);
    const code: number[] = [];
    uleb(code, this.functions.length);
    for (const { builder } of this.functions) for (const byte of builder.encode()) code.push(byte);
    section(10, code);
    return new Uint8Array(out);
  }
}
