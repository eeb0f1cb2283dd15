// Builds the library (dist/index.js, dist/node.js, dist/testing.js), the `selm` command (dist/cli.js) and the
// benchmarks (dist/bench.js) with
// esbuild, and the .d.ts types with tsc. `--no-types` skips the types (npm start and npm run bench use it).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { webBuildOptions } from './web-build.mjs';

const withTypes = !process.argv.includes('--no-types');
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // gpu.js is CommonJS with optional native parts: leave it to Node's resolver at run time.
  external: ['gpu.js'],
  logLevel: 'warning',
};

// The library's three entry points share chunks (dist/chunks/), so `selm-ts`, `selm-ts/node` and
// `selm-ts/testing` see one Tensor class, not a copy each. selm-ts/testing leaves fast-check (its peer
// dependency) to the user's install.
await build({
  ...common,
  entryPoints: { index: 'src/index.ts', node: 'src/node.ts', testing: 'src/testing/index.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: [...common.external, 'fast-check'],
});
const entries = [
  ['src/cli/main.ts', 'dist/cli.js'],
  ['bench/main.ts', 'dist/bench.js'],
  // The study's worker thread (src/lab/node/parallel.ts loads it from beside the bundle).
  ['src/lab/node/study-worker.ts', 'dist/study-worker.js'],
];
// The benchmarks also load TensorFlow.js (a dev dependency, only with --peers): Node resolves it at run time, so
// its backends share one tfjs-core and the wasm backend finds its .wasm files in node_modules.
const externals = { 'dist/bench.js': [...common.external, '@tensorflow/*'] };
for (const [input, output] of entries) {
  if (!existsSync(input)) continue;
  const banner = output === 'dist/cli.js' ? { js: '#!/usr/bin/env node' } : undefined;
  await build({ ...common, entryPoints: [input], outfile: output, banner, external: externals[output] ?? common.external });
}
if (existsSync('web/main.ts')) {
  // The teaching page: see scripts/web-build.mjs (the page test builds with the same options).
  await build(webBuildOptions('web/main.ts', 'web/dist/main.js'));
}
if (withTypes) {
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
