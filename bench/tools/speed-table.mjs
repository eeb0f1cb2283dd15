#!/usr/bin/env node
// Prints README.md's "Speed" table and the issue 15 target lines from one results JSON of
// `npm run bench -- --only kernels,train --peers --out bench/results`, so the README can be refreshed from a
// rerun on a quieter machine without retyping numbers:
//
//   node bench/tools/speed-table.mjs bench/results/<date>-<host>.json
//
// Plain JavaScript: a tool run by hand, not part of the bench's build.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/tools/speed-table.mjs RESULTS.json');
  process.exit(2);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const configs = ['tiny-gpt', 'small-gpt'];
const ENGINES = [
  ['selm-ts', 'wasm-1t', 'selm-ts, `wasm` backend held to 1 thread (`wasm-1t`)'],
  ['selm-ts', 'wasm', 'selm-ts, `wasm` backend (generated WebAssembly SIMD, 2 threads)'],
  ['selm-ts', 'gpujs-1t', 'selm-ts, `gpujs` backend held to 1 thread (`gpujs-1t`)'],
  ['selm-ts', 'gpujs', 'selm-ts, `gpujs` backend (gpu.js webasm kernels, 2 threads)'],
  ['selm-ts', 'cpu', 'selm-ts, `cpu` backend (plain TypeScript)'],
  ['tfjs-wasm', null, 'TensorFlow.js, wasm backend'],
  ['tfjs-cpu', null, 'TensorFlow.js, cpu backend'],
  ['torch-1t', null, 'PyTorch (CPU), 1 thread'],
  ['torch-2t', null, 'PyTorch (CPU), 2 threads'],
];
const row = (engine, backend, config) =>
  r.trainStep.find((t) => t.engine === engine && (backend === null || t.backend === backend) && t.config === config);
const fmt = (x) => (x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
const lines = ['| engine | tiny-gpt (106k params) | small-gpt (834k params) |', '| --- | ---: | ---: |'];
for (const [engine, backend, label] of ENGINES) {
  const cells = configs.map((c) => row(engine, backend, c));
  if (cells.every((c) => c === undefined)) continue;
  lines.push(`| ${label} | ${cells.map((c) => fmt(c?.tokensPerSec)).join(' | ')} |`);
}
console.log(lines.join('\n'));

const m = r.meta;
console.log(
  `\nload average start ${m.loadAverageStart?.join(' / ')}, end ${m.loadAverageEnd?.join(' / ')}; commit ${m.git?.commit?.slice(0, 7)}${m.git?.dirty ? ' (dirty)' : ''}`,
);
const torch = m.torch?.runs?.map((t) => `${t.config} ${t.threads}t ${t.matmulGflops512.toFixed(0)}`).join(', ');
if (torch) console.log(`torch matmul GFLOPS at 512: ${torch}${m.torch.optimised ? '' : ' (not optimised: no torch ratios)'}`);

console.log('\nissue 15 targets (wasm-1t):');
for (const c of configs) {
  const ours = row('selm-ts', 'wasm-1t', c);
  for (const [peer, want] of [
    ['tfjs-wasm', 4],
    ['torch-1t', c === 'small-gpt' ? 0.33 : 0.25],
  ]) {
    const theirs = row(peer, null, c);
    if (!ours || !theirs) continue;
    // The bench's own ratios: it leaves out a peer it ruled out (PyTorch on a BLAS under 50 GFLOPS at 512).
    const ratio = r.ratios.find((x) => x.config === c && x.ours === 'selm-ts wasm-1t' && x.peer === peer)?.ratio;
    if (ratio === undefined) {
      console.log(`  ${c} vs ${peer}: no ratio in this run (the bench left the peer out)`);
      continue;
    }
    const cpu = ours.cpuMs && theirs.cpuMs ? `; CPU-time ratio ${(theirs.cpuMs / ours.cpuMs).toFixed(2)}x` : '';
    console.log(`  ${c} vs ${peer}: ${ratio.toFixed(3)}x (target >= ${want}: ${ratio >= want ? 'met' : 'missed'})${cpu}`);
  }
}
const mm = r.kernels.filter((k) => k.backend === 'wasm-1t' && k.kernel === 'matmul' && /gpt/.test(k.case));
if (mm.length > 0) {
  const worst = mm.reduce((a, b) => (a.gflops < b.gflops ? a : b));
  const below = mm.filter((k) => k.gflops < 15).map((k) => `${k.case} ${k.gflops.toFixed(1)}`);
  console.log(
    `  matmul at the models' shapes: min ${worst.gflops.toFixed(1)} GFLOPS (${worst.case}); below 15: ${below.length === 0 ? 'none' : below.join('; ')}`,
  );
}
