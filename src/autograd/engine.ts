/**
 * The reverse-mode engine: recording ops into a graph, and walking it backwards.
 *
 * Every primitive is a `Rule` with its forward (kernels on raw arrays) and its backward written with tensor
 * ops, so that with `createGraph` the backward pass is itself recorded and can be differentiated again.
 * Without `createGraph` the backward pass runs under `noGrad` and records nothing.
 */
import type { DType, TypedArray } from './dtype.js';
import { formatShape, shapesEqual, type Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { sumToShape } from './ops/reduce.js';
import { add } from './ops/elementwise.js';
import { ones } from './creation.js';

/** What a primitive's forward produces: a fresh array and its shape. */
export interface RawTensor {
  data: TypedArray;
  shape: Shape;
}

export interface BackwardContext<A> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
}

/**
 * A primitive op. `backward` returns one gradient per input (null where the input needs none). A gradient may
 * have the broadcast output's shape: the engine reduces it to the input's shape in one place (`sumToShape`).
 * `backward: null` marks an op with no gradient (comparisons): its outputs never require grad.
 */
export interface Rule<A> {
  readonly name: string;
  forward(inputs: readonly Tensor[], attrs: A): RawTensor;
  readonly backward: ((grad: Tensor, ctx: BackwardContext<A>) => readonly (Tensor | null)[]) | null;
}

export interface GradNode {
  readonly rule: Rule<never>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  /** Set after a backward pass that did not retain the graph; a second pass through it is an error. */
  freed: boolean;
  runBackward(grad: Tensor, output: Tensor): readonly (Tensor | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording any graph: results never require grad. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

function assertSameDType(op: string, inputs: readonly Tensor[]): DType | undefined {
  const first = inputs[0]?.dtype;
  for (const t of inputs) {
    if (t.dtype !== first) {
      throw new Error(
        `${op}: dtype mismatch (${inputs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(' vs ')}); cast one with .to() or astype()`,
      );
    }
  }
  return first;
}

/** Runs a primitive and, when grad mode is on and an input requires grad, records it in the graph. */
export function apply<A>(rule: Rule<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  assertSameDType(rule.name, inputs);
  const raw = rule.forward(inputs, attrs);
  const needsGrad = gradEnabled && rule.backward !== null && inputs.some((t) => t.requiresGrad);
  const out = new Tensor(raw.data, raw.shape, needsGrad);
  if (needsGrad) {
    const backwardFn = rule.backward!;
    out.gradFn = {
      rule: rule as Rule<never>,
      inputs,
      attrs,
      freed: false,
      runBackward: (grad, output) => backwardFn(grad, { inputs, output, attrs }),
    };
  }
  return out;
}

export interface GradOptions {
  /** Upstream gradients, one per output; required for outputs with more than one element. */
  gradOutputs?: readonly (Tensor | undefined)[];
  /** Record the backward pass so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph for another backward pass (defaults to createGraph, as in PyTorch). */
  retainGraph?: boolean;
  /** Return null, instead of failing, for an input the outputs do not depend on. */
  allowUnused?: boolean;
}

/** Tensors reachable from `roots` through recorded ops, in topological order (inputs before outputs). */
function topologicalOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative post-order DFS: deep graphs (long sequences of ops) must not overflow the call stack.
  const stack: { t: Tensor; next: number }[] = [];
  for (const root of roots) {
    if (visited.has(root)) continue;
    visited.add(root);
    stack.push({ t: root, next: 0 });
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const inputs = frame.t.gradFn?.inputs ?? [];
      if (frame.next < inputs.length) {
        const child = inputs[frame.next++]!;
        if (child.requiresGrad && !visited.has(child)) {
          visited.add(child);
          stack.push({ t: child, next: 0 });
        }
      } else {
        order.push(frame.t);
        stack.pop();
      }
    }
  }
  return order;
}

function seedGradient(output: Tensor, given: Tensor | undefined, where: string): Tensor {
  if (given === undefined) {
    if (output.size !== 1) {
      throw new Error(
        `${where}: a gradient can be created implicitly only for one-element outputs, got shape ${formatShape(output.shape)}; pass gradOutputs`,
      );
    }
    return ones(output.shape, { dtype: output.dtype });
  }
  if (!shapesEqual(given.shape, output.shape) || given.dtype !== output.dtype) {
    throw new Error(
      `${where}: gradOutput has shape ${formatShape(given.shape)} ${given.dtype} but the output has ${formatShape(output.shape)} ${output.dtype}`,
    );
  }
  return given;
}

/**
 * The core reverse sweep: gradients of `outputs` with respect to every tensor in the graph that requires
 * grad. Returns the map; callers pick what they need.
 */
function reverseSweep(
  outputs: readonly Tensor[],
  options: GradOptions,
  keep: ReadonlySet<Tensor> | null,
  where: string,
): Map<Tensor, Tensor> {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const grads = new Map<Tensor, Tensor>();
  outputs.forEach((out, i) => {
    if (!out.requiresGrad) {
      throw new Error(
        `${where}: output ${i} does not require grad (it was computed under noGrad, from inputs that do not require grad, or by a non-differentiable op such as a comparison)`,
      );
    }
    const g = seedGradient(out, options.gradOutputs?.[i], where);
    const prev = grads.get(out);
    grads.set(out, prev ? noGradUnless(createGraph, () => add(prev, g)) : g);
  });
  const order = topologicalOrder(outputs);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.gradFn;
    const g = grads.get(t);
    if (!node || !g) continue;
    if (node.freed) {
      throw new Error(
        `${where}: trying to backward through the graph a second time (op '${node.rule.name}'); its saved state was freed by the previous backward. Pass retainGraph: true the first time`,
      );
    }
    const inputGrads = withGradMode(createGraph, () => node.runBackward(g, t));
    node.inputs.forEach((input, k) => {
      if (!input.requiresGrad) return;
      const gi = inputGrads[k];
      if (gi === null || gi === undefined) {
        throw new Error(`${where}: op '${node.rule.name}' gives no gradient for its input ${k}, which requires grad`);
      }
      // Only a gradient of a shape the input broadcasts to is summed back; any other shape is the rule's bug.
      const reducible = !shapesEqual(gi.shape, input.shape) && broadcastsTo(input.shape, gi.shape);
      const reduced = reducible ? withGradMode(createGraph, () => sumToShape(gi, input.shape)) : gi;
      if (!shapesEqual(reduced.shape, input.shape) || reduced.dtype !== input.dtype) {
        throw new Error(
          `${where}: op '${node.rule.name}' produced a gradient of shape ${formatShape(reduced.shape)} ${reduced.dtype} for input ${k} of shape ${formatShape(input.shape)} ${input.dtype}`,
        );
      }
      const prev = grads.get(input);
      grads.set(input, prev ? withGradMode(createGraph, () => add(prev, reduced)) : reduced);
    });
    if (!retainGraph) node.freed = true;
    // Intermediate gradients are dropped as soon as they are consumed, unless the caller asked for them.
    if (keep !== null && !keep.has(t) && !outputs.includes(t)) grads.delete(t);
  }
  return grads;
}

/** Whether `shape` broadcasts to `target` (NumPy rules), so a gradient of shape `target` sums back to `shape`. */
function broadcastsTo(shape: Shape, target: Shape): boolean {
  const lead = target.length - shape.length;
  return lead >= 0 && shape.every((d, i) => d === target[lead + i] || d === 1);
}

function noGradUnless<T>(createGraph: boolean, fn: () => T): T {
  return withGradMode(createGraph, fn);
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than accumulated (PyTorch's
 * `torch.autograd.grad`). An input the outputs do not depend on is an error unless `allowUnused`.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : outputs;
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) throw new Error(`grad: input ${i} (shape ${formatShape(t.shape)}) does not require grad`);
  });
  const grads = reverseSweep(outs, options, new Set(inputs), 'grad');
  return inputs.map((t, i) => {
    const g = grads.get(t);
    if (g) return g;
    if (options.allowUnused) return null;
    throw new Error(`grad: input ${i} (shape ${formatShape(t.shape)}) was not used to compute the outputs; pass allowUnused: true`);
  });
}

export interface BackwardOptions {
  createGraph?: boolean;
  retainGraph?: boolean;
}

/**
 * Accumulates the gradient of `output` into `.grad` of every leaf that requires grad (PyTorch's
 * `tensor.backward()`): a leaf reached twice, or over two backward calls, sums its gradients.
 */
export function backward(output: Tensor, gradOutput?: Tensor, options: BackwardOptions = {}): void {
  const opts: GradOptions = { ...options, gradOutputs: [gradOutput] };
  const leaves = new Set<Tensor>();
  for (const t of topologicalOrder([output])) if (t.isLeaf && t.requiresGrad) leaves.add(t);
  const grads = reverseSweep([output], opts, leaves, 'backward');
  const createGraph = options.createGraph ?? false;
  for (const leaf of leaves) {
    const g = grads.get(leaf);
    if (!g) continue;
    // Without createGraph the stored gradient is a plain value, cut from any graph.
    const value = createGraph ? g : g.detach();
    leaf.grad = leaf.grad ? withGradMode(createGraph, () => add(leaf.grad!, value)) : value;
  }
}

/** Clears `.grad` on each tensor. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.grad = null;
}
