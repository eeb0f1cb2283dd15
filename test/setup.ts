/**
 * Global fast-check settings for every test file: a fixed, printed seed (override with FC_SEED to replay or
 * explore), and at least 25 runs per property unless a test asks for more.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261128;
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);

fc.configureGlobal({ seed, numRuns: 25, endOnFailure: true });
