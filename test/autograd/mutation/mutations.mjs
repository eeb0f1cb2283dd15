/**
 * Deliberate bugs for mutation-check.mjs: each is [file, exact text, replacement] edits (the text must occur
 * exactly once). `equivalent` marks a mutation that does not change behaviour, with the reason.
 */
const A = 'src/autograd/';
const one = (id, what, file, before, after, equivalent) => ({ id, what, edits: [[A + file, before, after]], equivalent });

export const MUTATIONS = [
  one('M1', 'sub backward with the sign of db flipped', 'ops/elementwise.ts', 'when(b!, () => neg(g))]),', 'when(b!, () => g)]),'),
  one('M2', "engine's broadcast reduction skipped (sumToShape call a no-op)", 'engine.ts', 'withGradMode(createGraph, () => sumToShape(gi, input.shape))', 'gi'),
  one('M3', "expand backward returns g unreduced", 'ops/shape.ts', 'backward: (g, { inputs: [x] }) => [sumToShape(g, x!.shape)],', 'backward: (g) => [g],',
    "the engine sums every broadcast gradient back to the input's shape in one place (see M3b)"),
  {
    id: 'M3b',
    what: "expand backward unreduced and the engine's reduction skipped",
    edits: [
      [A + 'ops/shape.ts', 'backward: (g, { inputs: [x] }) => [sumToShape(g, x!.shape)],', 'backward: (g) => [g],'],
      [A + 'engine.ts', 'withGradMode(createGraph, () => sumToShape(gi, input.shape))', 'gi'],
    ],
  },
  one('M4', 'sumToShape averages instead of summing', 'ops/reduce.ts', 'const summed = axes.length > 0 ? sum(g, axes, true) : g;', 'const summed = axes.length > 0 ? mean(g, axes, true) : g;'),
  one('M5', 'logsumexp without max subtraction (m = 0)', 'ops/composite.ts', 'const m = maxShift(x, a);\n  const out', 'const m = mul(maxShift(x, a), 0);\n  const out'),
  one('M6', 'softmax without max subtraction', 'ops/composite.ts', 'const e = exp(sub(x, maxShift(x, a)));', 'const e = exp(x);'),
  one('M6b', 'logSoftmax without max subtraction', 'ops/composite.ts', 'const shifted = sub(x, maxShift(x, a));', 'const shifted = x;'),
  one('M7', 'pow backward 2a (right only for exponent 2)', 'ops/elementwise.ts', 'when(a!, () => mul(g, mul(b!, pow(a!, sub(b!, 1))))),', 'when(a!, () => mul(g, mul(a!, 2))),'),
  one('M8', 'layerNorm without eps', 'ops/composite.ts', 'let y = div(sub(x, mu), sqrt(add(v, eps)));', 'let y = div(sub(x, mu), sqrt(v));'),
  one('M9', 'layerNorm with eps outside the sqrt', 'ops/composite.ts', 'let y = div(sub(x, mu), sqrt(add(v, eps)));', 'let y = div(sub(x, mu), add(sqrt(v), eps));'),
  one('M10', 'gradients overwrite instead of accumulating', 'engine.ts', 'grads.set(input, prev ? withGradMode(createGraph, () => add(prev, reduced)) : reduced);', 'grads.set(input, reduced);'),
  one('M11', 'matmul dA uses B instead of B^T', 'ops/matmul.ts', 'matmulT(g, b!, false, !transB)', 'matmulT(g, b!, false, transB)'),
  one('M12', 'max backward without the tie split', 'ops/reduce.ts', 'return div(mul(spread(g, x, axes), mask), count);', 'return mul(spread(g, x, axes), mask);'),
  one('M13', 'softplus as the naive log(1 + e^x)', 'ops/composite.ts', 'return add(maximum(x, 0), log1p(exp(neg(abs(x)))));', 'return log1p(exp(x));'),
  one('M14', 'tanh backward 1 - tanh instead of 1 - tanh^2', 'ops/elementwise.ts', '[mul(g, sub(1, mul(output, output)))]', '[mul(g, sub(1, output))]'),
  one('M15', 'exp backward uses the detached output (wrong second derivative)', 'ops/elementwise.ts', "exp: unaryRule('exp', (g, { output }) => [mul(g, output)]),", "exp: unaryRule('exp', (g, { output }) => [mul(g, output.detach())]),"),
  one('M16', 'crossEntropy mean counts ignored targets', 'ops/composite.ts', 'return div(sum(losses), Math.max(kept, 1));', 'return div(sum(losses), values.length);'),
  one('M17', 'gelu constant 0.0447 instead of 0.044715', 'ops/composite.ts', 'mul(mul(mul(x, x), x), 0.044715)', 'mul(mul(mul(x, x), x), 0.0447)'),
  one('M18', 'gather backward scatters everything to index 0', 'ops/indexing.ts', 'backward: (g, { inputs: [x], attrs }) => [apply(scatterRule, [g], { ...attrs, shape: x!.shape })],', 'backward: (g, { inputs: [x], attrs }) => [apply(scatterRule, [g], { ...attrs, index: new Int32Array(attrs.index.length), shape: x!.shape })],'),
  one('M19', 'slice backward pads at offset 0', 'ops/shape.ts', 'backward: (g, { inputs: [x], attrs: { starts } }) => [pad(g, starts, x!.shape)],', 'backward: (g, { inputs: [x] }) => [pad(g, x!.shape.map(() => 0), x!.shape)],'),
  one('M20', 'createGraph ignored (backward never recorded)', 'engine.ts', 'const inputGrads = withGradMode(createGraph, () => node.runBackward(g, t));', 'const inputGrads = withGradMode(false, () => node.runBackward(g, t));'),
  one('M21', 'maximum gives a tie the whole gradient on both sides', 'ops/elementwise.ts', 'const half = mul(eq(a!, b!), 0.5);\n    return [when(a!, () => mul(g, add(gt(a!, b!), half)))', 'const half = eq(a!, b!);\n    return [when(a!, () => mul(g, add(gt(a!, b!), half)))'),
  one('M22', 'div backward for b missing the 1/b factor', 'ops/elementwise.ts', 'when(b!, () => neg(div(mul(g, output), b!))),', 'when(b!, () => neg(mul(g, output))),'),
];
