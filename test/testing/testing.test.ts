/**
 * selm-ts/testing as a user meets it: the arbitraries, the matcher and gradcheckProperty, including that the
 * property fails on a rule that is wrong (a test helper that cannot fail would be worse than none).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, matmul, mul, sum, tanh, type Rule, type Tensor } from '../../src/autograd/index.js';
import { allclose, broadcastPairArb, gradcheckProperty, shapeArb, tensorSpecArb } from '../../src/testing/index.js';
import '../helpers/allclose.js';

/** x ↦ x³ with a deliberately wrong backward (2x² instead of 3x²). */
const wrongCube: Rule<null> = {
  name: 'wrongCube',
  forward: ([x]) => ({ data: x!.data.map((v) => v * v * v), shape: x!.shape }),
  backward: (grad, { inputs: [x] }) => [mul(grad, mul(mul(x!, x!), 2))],
};

describe('selm-ts/testing', () => {
  it('gradcheckProperty passes a correct composite, first and second order', () => {
    const pair = shapeArb({ minRank: 2, maxRank: 2, maxDim: 3 }).chain(([m, k]) =>
      fc.tuple(tensorSpecArb([m!, k!]), tensorSpecArb([k!, 2])),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        fc.assert(
          gradcheckProperty((x, w) => sum(tanh(matmul(x!, w!))), [fc.constant(a), fc.constant(b)], { secondOrder: true }),
          { numRuns: 1 },
        );
      }),
      { numRuns: 5 },
    );
  });

  it('gradcheckProperty fails on a wrong backward rule, naming gradcheck', () => {
    const property = gradcheckProperty((x: Tensor) => sum(apply(wrongCube, [x], null)), [tensorSpecArb([3], { low: 0.5, high: 2 })]);
    let failure: unknown = null;
    try {
      fc.assert(property, { numRuns: 3 });
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(Error);
    // fast-check keeps gradcheck's own error (which names the input and element) as the cause.
    expect(String((failure as Error).cause)).toMatch(/GradcheckError|gradcheck/);
  });

  it('broadcast pairs broadcast, and allclose reports the first offending element', () => {
    fc.assert(
      fc.property(broadcastPairArb(), ([a, b, out]) => {
        const n = Math.max(a.length, b.length);
        expect(out).toHaveLength(n);
      }),
    );
    expect(allclose([1, 2, 3], [1, 2, 3.5]).message).toMatch(/first at flat index 2/);
    expect([1, 2]).toBeAllclose([1, 2 + 1e-9]);
  });
});
