/**
 * `Module`: a tree of named parameters and sub-modules, as in PyTorch's nn.Module.
 *
 * Parameters live in a map owned by the module (layers expose them through getters), so that one generic
 * `to(dtype)` can swap every parameter for a cast copy, and `namedParameters()` can give the dotted names
 * (`blocks.0.attn.qkv.weight`) that state dicts and checkpoints use.
 */
import { astype, formatShape, type DType, type Tensor } from '../autograd/index.js';

/** A name -> tensor mapping; `stateDict()` returns one, `loadStateDict()` accepts one (or a Map). */
export type StateDict = Record<string, Tensor>;

/** Thrown by `loadStateDict` when names, shapes or dtypes do not match; lists every problem found. */
export class StateDictError extends Error {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, 20).map((p) => `  ${p}`);
    if (problems.length > 20) shown.push(`  ... ${problems.length - 20} more`);
    super(`loadStateDict: the state does not match the model (nothing was loaded):\n${shown.join('\n')}`);
    this.name = 'StateDictError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$/;

export class Module {
  /** Training mode turns dropout on; `eval()` turns it off. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter (a leaf that requires grad) under `name`; returns it. */
  protected addParameter(name: string, value: Tensor): Tensor {
    this.checkFreeName(name);
    if (!value.isLeaf) throw new Error(`Module: parameter '${name}' must be a leaf tensor (not the result of a recorded op)`);
    value.requiresGrad_(true);
    this.ownParameters.set(name, value);
    return value;
  }

  /** The parameter registered under `name` on this module. */
  protected parameter(name: string): Tensor {
    const p = this.ownParameters.get(name);
    if (!p) throw new Error(`Module: no parameter named '${name}'`);
    return p;
  }

  /** The parameter registered under `name`, or null when there is none (an optional bias). */
  protected optionalParameter(name: string): Tensor | null {
    return this.ownParameters.get(name) ?? null;
  }

  /** Registers a sub-module under `name`; returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.checkFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private checkFreeName(name: string): void {
    if (!NAME.test(name)) throw new Error(`Module: '${name}' is not a valid name (letters, digits, underscores; no dots)`);
    if (this.ownParameters.has(name) || this.children.has(name)) throw new Error(`Module: the name '${name}' is already taken`);
  }

  /** Direct sub-modules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** This module and every descendant, with dotted names ('' for this one), depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }

  /**
   * Every parameter with its dotted name, in registration order. A tensor shared by two modules is listed
   * once, under its first name (as PyTorch does), so an optimiser never updates it twice.
   */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, p] of module.ownParameters) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix === '' ? name : `${prefix}.${name}`, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The total number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** The dtype every parameter shares (a module mixing dtypes is an error). */
  get dtype(): DType {
    const params = this.parameters();
    const first = params[0];
    if (!first) throw new Error('Module: a module without parameters has no dtype');
    for (const p of params) {
      if (p.dtype !== first.dtype) throw new Error(`Module: parameters mix dtypes (${first.dtype} and ${p.dtype})`);
    }
    return first.dtype;
  }

  /** Sets training mode on this module and all descendants. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Casts every parameter to `dtype`, in place: each is replaced by a new leaf tensor (shared tensors stay
   * shared). Gradients are dropped, and an optimiser built before the cast still holds the old tensors, so
   * build optimisers after casting.
   */
  to(dtype: DType): this {
    const replaced = new Map<Tensor, Tensor>();
    for (const [, module] of this.namedModules()) {
      for (const [name, p] of module.ownParameters) {
        if (p.dtype === dtype) continue;
        let q = replaced.get(p);
        if (!q) {
          q = astype(p, dtype).requiresGrad_(true);
          replaced.set(p, q);
        }
        module.ownParameters.set(name, q);
      }
    }
    return this;
  }

  /** Copies of the parameters by dotted name (copies, so later training does not change a saved state). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, p] of this.namedParameters()) out[name] = astype(p, p.dtype);
    return out;
  }

  /** Every mismatch between `state` and the parameters (missing or unexpected names, shapes, dtypes). */
  stateDictProblems(state: StateDict | ReadonlyMap<string, Tensor>): string[] {
    const entries = asMap(state);
    const params = new Map(this.namedParameters());
    const problems: string[] = [];
    for (const [name, p] of params) {
      const src = entries.get(name);
      if (!src) {
        problems.push(`missing '${name}' (${p.dtype} ${formatShape(p.shape)})`);
        continue;
      }
      if (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i])) {
        problems.push(`'${name}': shape ${formatShape(src.shape)} in the state, ${formatShape(p.shape)} in the model`);
      }
      if (src.dtype !== p.dtype) problems.push(`'${name}': dtype ${src.dtype} in the state, ${p.dtype} in the model`);
    }
    for (const name of entries.keys()) if (!params.has(name)) problems.push(`unexpected '${name}' (not a parameter of the model)`);
    return problems;
  }

  /**
   * Copies `state` into the parameters, in place. Every name, shape and dtype is checked before anything is
   * written: a mismatch throws a StateDictError listing all problems and leaves the model untouched.
   */
  loadStateDict(state: StateDict | ReadonlyMap<string, Tensor>): void {
    const problems = this.stateDictProblems(state);
    if (problems.length > 0) throw new StateDictError(problems);
    const entries = asMap(state);
    for (const [name, p] of this.namedParameters()) p.data.set(entries.get(name)!.data);
  }
}

function asMap(state: StateDict | ReadonlyMap<string, Tensor>): ReadonlyMap<string, Tensor> {
  return state instanceof Map ? (state as ReadonlyMap<string, Tensor>) : new Map(Object.entries(state as StateDict));
}

/** An indexed list of sub-modules, named '0', '1', ... (PyTorch's ModuleList). */
export class ModuleList<M extends Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.push(m);
  }

  push(module: M): void {
    this.addModule(String(this.items.length), module);
    this.items.push(module);
  }

  at(index: number): M {
    const m = this.items[index];
    if (!m) throw new Error(`ModuleList: index ${index} is out of range for ${this.items.length} modules`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
