/**
 * Every shape, index and dtype mismatch raises an error that names the op and the shapes involved, in the
 * project's form `matmul: cannot multiply [2,3] by [4,5]`. A string is matched as a substring of the message
 * (the whole informative part), a pattern where the tail is free text.
 */
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { tensor, zeros, type Tensor } from '../../src/autograd/index.js';

const z = (...shape: number[]): Tensor => zeros(shape, { dtype: 'float64' });
const z32 = (...shape: number[]): Tensor => zeros(shape, { dtype: 'float32' });
const ids = (...values: number[]): Tensor => tensor(values, { dtype: 'float64' });

/** [what, the call, the expected message (exact string or pattern)] */
const CASES: [string, () => unknown, string | RegExp][] = [
  ['matmul inner dims', () => ag.matmul(z(2, 3), z(4, 5)), 'matmul: cannot multiply [2,3] by [4,5]'],
  ['matmul 1-d inner dims', () => ag.matmul(z(3), z(4)), 'matmul: cannot multiply [3] by [4]'],
  ['matmul batch dims', () => ag.matmul(z(2, 2, 3), z(3, 3, 4)), 'matmul: batch dimensions of [2,2,3] and [3,3,4] do not broadcast'],
  ['matmul 0-d operand', () => ag.matmul(z(), z(3)), /^matmul: cannot multiply \[\] by \[3\]/],
  ['matmulT with transposes', () => ag.matmulT(z(2, 3), z(2, 3), false, false), 'matmul: cannot multiply [2,3] by [2,3]'],
  ['matmulT with transposes named', () => ag.matmulT(z(3, 2), z(4, 5), true, false), 'matmul: cannot multiply [3,2]^T by [4,5]'],
  ['add broadcasting', () => ag.add(z(2, 3), z(4)), 'add: cannot broadcast [2,3] with [4]'],
  ['mul broadcasting', () => ag.mul(z(2, 3, 1), z(4, 2)), 'mul: cannot broadcast [2,3,1] with [4,2]'],
  ['sub broadcasting', () => ag.sub(z(5), z(2, 3)), 'sub: cannot broadcast [5] with [2,3]'],
  ['div broadcasting', () => ag.div(z(2), z(3)), 'div: cannot broadcast [2] with [3]'],
  ['pow broadcasting', () => ag.pow(z(2), z(3)), 'pow: cannot broadcast [2] with [3]'],
  ['maximum broadcasting', () => ag.maximum(z(2), z(3)), 'maximum: cannot broadcast [2] with [3]'],
  ['comparison broadcasting', () => ag.gt(z(2), z(3)), 'gt: cannot broadcast [2] with [3]'],
  ['where broadcasting', () => ag.where(z(2), z(3), z(3)), 'where: cannot broadcast [2] with [3]'],
  ['concat', () => ag.concat([z(2, 3), z(2, 4)], 0), 'concat: cannot join [2,3] and [2,4] along dimension 0'],
  ['concat rank', () => ag.concat([z(2, 3), z(2)], 1), 'concat: cannot join [2,3] and [2] along dimension 1'],
  ['concat nothing', () => ag.concat([]), 'concat: needs at least one tensor'],
  ['stack', () => ag.stack([z(2, 3), z(3, 2)]), 'stack: shapes differ: [2,3] and [3,2]'],
  ['reshape', () => ag.reshape(z(2, 3), [4]), 'reshape: cannot reshape [2,3] (6 elements) to [4]'],
  ['reshape inferred', () => ag.reshape(z(2, 3), [4, -1]), 'reshape: cannot reshape [2,3] (6 elements) to [4,-1]'],
  ['reshape two -1', () => ag.reshape(z(2, 3), [-1, -1]), 'reshape: only one dimension can be -1, got [-1,-1]'],
  ['expand', () => ag.expand(z(2, 3), [3, 3]), 'expand: cannot expand [2,3] to [3,3]'],
  ['expand to lower rank', () => ag.expand(z(2, 3), [3]), 'expand: cannot expand [2,3] to [3]'],
  ['permute', () => ag.permute(z(2, 3), [0, 0]), 'permute: [0,0] is not a permutation of the 2 dimensions of [2,3]'],
  ['transpose axis', () => ag.transpose(z(2, 3), 0, 2), 'transpose: axis 2 is out of range for a tensor of rank 2'],
  ['squeeze', () => ag.squeeze(z(2, 3), 1), 'squeeze: dimension 1 of [2,3] has size 3, not 1'],
  ['slice range', () => ag.slice(z(2, 3), [null, [1, 4]]), 'slice: range [1, 4) is out of bounds for dimension 1 of [2,3]'],
  ['slice rank', () => ag.slice(z(2), [null, null]), 'slice: 2 ranges for a tensor of rank 1 [2]'],
  ['narrow', () => ag.narrow(z(2, 3), 1, 2, 2), 'slice: range [2, 4) is out of bounds for dimension 1 of [2,3]'],
  ['pad', () => ag.pad(z(2, 3), [0, 1], [2, 3]), 'pad: [2,3] at offsets [0,1] does not fit in [2,3]'],
  ['sum axis', () => ag.sum(z(2, 3), 2), 'sum: axis 2 is out of range for a tensor of rank 2'],
  ['mean repeated axis', () => ag.mean(z(2, 3), [1, -1]), 'mean: axis -1 is repeated'],
  ['max of empty', () => ag.max(z(0)), 'max: cannot reduce an empty tensor of shape [0]'],
  [
    'indexSelect out of range',
    () => ag.indexSelect(z(3, 2), 0, [0, 5]),
    'indexSelect: index 5 at position 1 is out of range for a dimension of size 3',
  ],
  [
    'indexSelect negative out of range',
    () => ag.indexSelect(z(3, 2), 0, [-4]),
    'indexSelect: index -4 at position 0 is out of range for a dimension of size 3',
  ],
  [
    'indexSelect non-integer',
    () => ag.indexSelect(z(3, 2), 0, [1.5]),
    'indexSelect: index 1.5 at position 0 is out of range for a dimension of size 3',
  ],
  [
    'embedding out of range',
    () => ag.embedding(z(4, 2), ids(1, 4)),
    'indexSelect: index 4 at position 1 is out of range for a dimension of size 4',
  ],
  ['embedding table rank', () => ag.embedding(z(4), ids(1)), 'embedding: the table must be 2-d [vocab, dim], got [4]'],
  [
    'gather out of range',
    () => ag.gather(z(2, 3), 1, tensor([[0], [3]], { dtype: 'float64' })),
    'gather: index 3 at position 1 is out of range for a dimension of size 3',
  ],
  ['gather index shape', () => ag.gather(z(2, 3), 1, z(3, 1)), 'gather: index of shape [3,1] must match [2,3] in every dimension but 1'],
  [
    'scatterAdd src shape',
    () => ag.scatterAdd(z(2, 3), 1, z(2, 1), z(2, 2)),
    "scatterAdd: src of shape [2,2] must have the index's shape [2,1]",
  ],
  [
    'scatterAdd out of range',
    () => ag.scatterAdd(z(2, 3), 1, tensor([[0], [-4]], { dtype: 'float64' }), z(2, 1)),
    'scatterAdd: index -4 at position 1 is out of range for a dimension of size 3',
  ],
  ['oneHot out of range', () => ag.oneHot([0, 3], 3), 'oneHot: index 3 at position 1 is out of range for a dimension of size 3'],
  [
    'crossEntropy target out of range',
    () => ag.crossEntropy(z(2, 3), [0, 3]),
    'crossEntropy: target 3 at position 1 is out of range for 3 classes',
  ],
  [
    'crossEntropy negative target',
    () => ag.crossEntropy(z(2, 3), [-1, 0]),
    'crossEntropy: target -1 at position 0 is out of range for 3 classes',
  ],
  [
    'crossEntropy target count',
    () => ag.crossEntropy(z(2, 3), [0, 1, 2]),
    'crossEntropy: 3 targets for logits of shape [2,3] (expected 2)',
  ],
  ['layerNorm dims', () => ag.layerNorm(z(2, 3), undefined, undefined, 1e-5, 3), 'layerNorm: cannot normalise the last 3 dims of [2,3]'],
  ['dropout p', () => ag.dropout(z(2), 1), 'dropout: p must be in [0, 1), got 1'],
  ['dtype mismatch add', () => ag.add(z32(2), z(2)), 'add: dtype mismatch (float32[2] vs float64[2]); cast one with .to() or astype()'],
  ['dtype mismatch matmul', () => ag.matmul(z(2, 3), z32(3, 4)), /^matmul: dtype mismatch \(float64\[2,3\] vs float32\[3,4\]\)/],
  ['dtype mismatch concat', () => ag.concat([z(2), z32(2)]), /^concat: dtype mismatch \(float64\[2\] vs float32\[2\]\)/],
  ['tensor data and shape', () => tensor([1, 2, 3], { shape: [2, 2] }), 'tensor: 3 values cannot have shape [2,2]'],
  ['tensor ragged', () => tensor([[1, 2], [3]]), /^tensor: ragged nested array/],
  ['item of many', () => z(2).item(), 'item: only one-element tensors can be converted to a number, got shape [2]'],
  [
    'backward gradOutput shape',
    () => ag.exp(tensor([1, 2], { dtype: 'float64', requiresGrad: true })).backward(z(3)),
    'backward: gradOutput has shape [3] float64 but the output has [2] float64',
  ],
];

describe('errors name the op and the shapes', () => {
  test.each(CASES)('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});

test('composite ops name themselves first, then the primitive that failed, with its shapes', () => {
  expect(() => ag.mseLoss(z(2, 3), z(4))).toThrow('mseLoss: sub: cannot broadcast [2,3] with [4]');
  let caught: unknown = null;
  try {
    ag.mseLoss(z(2, 3), z(4));
  } catch (error) {
    caught = error;
  }
  // The primitive's own error is kept as the cause.
  expect((caught as Error).cause).toBeInstanceOf(Error);
  expect(((caught as Error).cause as Error).message).toBe('sub: cannot broadcast [2,3] with [4]');
});

describe('layer norm: weight and bias must have the normalised shape (as in PyTorch), not merely broadcast', () => {
  const x = z(2, 3);
  test.each([
    [
      'composite, weight [4]',
      () => ag.layerNorm(x, z(4)),
      'layerNorm: weight of shape [4] does not match the normalised shape [3] of input [2,3]',
    ],
    [
      'composite, weight [1]',
      () => ag.layerNorm(x, z(1)),
      'layerNorm: weight of shape [1] does not match the normalised shape [3] of input [2,3]',
    ],
    [
      'composite, bias [1,3]',
      () => ag.layerNorm(x, z(3), z(1, 3)),
      'layerNorm: bias of shape [1,3] does not match the normalised shape [3] of input [2,3]',
    ],
    [
      'composite, 2 dims, weight [3]',
      () => ag.layerNorm(x, z(3), undefined, 1e-5, 2),
      'layerNorm: weight of shape [3] does not match the normalised shape [2,3] of input [2,3]',
    ],
    [
      'fused, weight [1]',
      () => ag.layerNormFused(x, z(1)),
      'layerNormFused: weight of shape [1] does not match the normalised shape [3] of input [2,3]',
    ],
    [
      'fused, bias [2]',
      () => ag.layerNormFused(x, z(3), z(2)),
      'layerNormFused: bias of shape [2] does not match the normalised shape [3] of input [2,3]',
    ],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });

  test('a part that fails for another reason (dtype) is named after the layer norm that called it', () => {
    expect(() => ag.layerNorm(x, z32(3))).toThrow(/^layerNorm: mul: dtype mismatch \(float64\[2,3\] vs float32\[3\]\)/);
    expect(() => ag.layerNormFused(x, z32(3))).toThrow(/^layerNormFused: mul: dtype mismatch \(float64\[2,3\] vs float32\[3\]\)/);
  });

  test('the normalised shape itself is accepted by both', () => {
    expect(ag.layerNorm(x, z(3), z(3)).shape).toEqual([2, 3]);
    expect(ag.layerNormFused(x, z(3), z(3)).shape).toEqual([2, 3]);
    expect(ag.layerNorm(x, z(2, 3), z(2, 3), 1e-5, 2).shape).toEqual([2, 3]);
  });
});
