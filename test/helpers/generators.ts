/** The tensor arbitraries now live in selm-ts/testing (src/testing); the tests' old import path re-exports them. */
export * from '../../src/testing/arbitraries.js';
