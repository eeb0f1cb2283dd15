#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self and total time per function, positions mapped back
// through the bundle's source map (dist/bench.js.map) to the TypeScript source, so `matmul` in
// src/autograd/backend/cpu/tuned-matmul.ts is told apart from a `matmul` elsewhere.
//
//   node bench/tools/cpuprofile-top.mjs PROFILE.cpuprofile [--top 30] [--callers REGEX] [--depth 5] [--json out.json]
//
// --callers REGEX: for the samples whose top function matches REGEX, the self time broken down by call path
// (the top `--depth` frames, skipping the engine's plumbing), e.g. which ops' forward or backward the cpu
// backend's `binary` kernel ran for.
//
// Self time = the sampled time a function was on top of the stack (timeDeltas summed, not hitCount x interval).
// Total time = the sampled time it was anywhere on the stack, each sample counted once per function even
// under recursion. Plain JavaScript: a tool run by hand, not part of the bench's build.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const file = args[0];
if (!file) {
  console.error('usage: node bench/tools/cpuprofile-top.mjs PROFILE.cpuprofile [--top N] [--json OUT]');
  process.exit(2);
}
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
const jsonIndex = args.indexOf('--json');
const jsonOut = jsonIndex >= 0 ? args[jsonIndex + 1] : null;
const callersIndex = args.indexOf('--callers');
const callers = callersIndex >= 0 ? new RegExp(args[callersIndex + 1]) : null;
const depthIndex = args.indexOf('--depth');
const depth = depthIndex >= 0 ? Number(args[depthIndex + 1]) : 5;
// Frames that say nothing about which op ran: backend dispatch, the engine, the ops' generic wrappers.
const PLUMBING =
  / {2}src\/autograd\/(backend\/|engine\.ts|ops\/util\.ts)| {2}node_modules\/gpu\.js\/|^GenericJSToWasmWrapper$|^wasm-function\[\d+\] {2}wasm|^(forward|binary\d*|unary\d*|when|lift) {2}src\/autograd\/ops\//;

const profile = JSON.parse(readFileSync(file, 'utf8'));
const maps = new Map();
function sourceMapFor(url) {
  if (!url.startsWith('file://')) return null;
  if (!maps.has(url)) {
    const path = fileURLToPath(url);
    const mapPath = `${path}.map`;
    maps.set(url, existsSync(mapPath) ? { map: new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8'))), dir: dirname(mapPath) } : null);
  }
  return maps.get(url);
}

/** "name  file:line" for a call frame, the file relative to the working directory, mapped when possible. */
function keyOf(frame) {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name; // (program), (garbage collector), (idle), native builtins
  let where = frame.url;
  let line = frame.lineNumber + 1;
  const mapped = sourceMapFor(frame.url);
  const entry = mapped && frame.lineNumber >= 0 ? mapped.map.findEntry(frame.lineNumber, frame.columnNumber) : null;
  if (entry?.originalSource) {
    // Sources are relative to the map's folder (dist/): "../src/autograd/backend/cpu/tuned-matmul.ts".
    where = /^[a-z]+:/.test(entry.originalSource) ? entry.originalSource : resolve(mapped.dir, entry.originalSource);
    line = entry.originalLine + 1;
  }
  if (where.startsWith('wasm://')) return `${name}  wasm (one module per gpu.js kernel)`;
  if (where.startsWith('file://')) where = fileURLToPath(where);
  if (where.startsWith('/')) where = relative(process.cwd(), where);
  return `${name}  ${where}:${line}`;
}

const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keys = new Map(profile.nodes.map((n) => [n.id, keyOf(n.callFrame)]));

const self = new Map();
const total = new Map();
const byFile = new Map();
const paths = new Map();
const fileOf = (key) => {
  const at = key.indexOf('  ');
  return at < 0 ? key : key.slice(at + 2).replace(/:\d+$/, '');
};
let all = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  // timeDeltas[i] is the time from the previous sample to sample i; the next delta is sample i's duration.
  const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
  all += dt;
  const id = samples[i];
  const k = keys.get(id);
  self.set(k, (self.get(k) ?? 0) + dt);
  byFile.set(fileOf(k), (byFile.get(fileOf(k)) ?? 0) + dt);
  if (callers?.test(k)) {
    const path = [];
    for (let n = id; n !== undefined && path.length < depth; n = parent.get(n)) {
      const key = keys.get(n);
      if (path.length > 0 && PLUMBING.test(key)) continue;
      path.push(key);
    }
    const p = path.join('\n      < ');
    paths.set(p, (paths.get(p) ?? 0) + dt);
  }
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const key = keys.get(n);
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + dt);
  }
}

const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
const pct = (ms) => `${((100 * ms) / all).toFixed(1).padStart(5)}%`;
const ms = (v) => `${v.toFixed(0).padStart(7)} ms`;
console.log(`${file}: ${samples.length} samples, ${(all / 1000).toFixed(2)} s sampled`);
console.log(`\nTop ${top} by self time`);
for (const [k, v] of rows(self)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log(`\nSelf time by file`);
for (const [k, v] of rows(byFile)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
if (callers) {
  console.log(`\nCall paths of ${callers} (self time)`);
  for (const [k, v] of rows(paths)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
}
console.log(`\nTop ${top} by total time`);
for (const [k, v] of rows(total).filter(([k]) => !k.startsWith('(root)'))) console.log(`${ms(v)} ${pct(v)}  ${k}`);
if (jsonOut) {
  const list = (m) => rows(m).map(([k, v]) => ({ fn: k, ms: v }));
  const out = { file, sampledMs: all, self: list(self), byFile: list(byFile), total: list(total), callers: list(paths) };
  writeFileSync(jsonOut, `${JSON.stringify(out, null, 2)}\n`);
}
