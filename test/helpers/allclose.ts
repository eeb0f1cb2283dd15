/**
 * Registers selm-ts/testing's `toBeAllclose` matcher with vitest (import this module for its effect) and
 * re-exports allclose for tests that want the report itself.
 */
import { expect } from 'vitest';
import { allcloseMatchers, type AllcloseOptions, type Numeric } from '../../src/testing/index.js';

export { allclose, type AllcloseOptions, type AllcloseResult, type Numeric } from '../../src/testing/index.js';

expect.extend(allcloseMatchers);

declare module 'vitest' {
  // Declaration merging repeats vitest's type parameter (its default, `any`, is declared there, not here).
  interface Assertion<T> {
    toBeAllclose(expected: Numeric, options?: AllcloseOptions): void;
  }
}
