import { defineConfig } from 'vitest/config';

// Under CI the JSON reporter also writes the counts that .ci/run prints as its last line.
const reporters = process.env.CI ? ['default', 'json'] : ['default'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // One temporary folder per run, removed at its end (test/global-tmp.ts).
    globalSetup: ['test/global-tmp.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'threads',
    reporters,
    outputFile: { json: '.ci/test-results.json' },
  },
});
