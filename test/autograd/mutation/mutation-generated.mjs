#!/usr/bin/env node
/**
 * Runs generated mutants (generate.mjs) of the given source files against their tests, in a temporary copy of
 * the repository (the working tree is never modified), and prints the mutation score.
 *
 *   node test/autograd/mutation/mutation-generated.mjs [--sample N] [--seed S] FILE...
 *   e.g.  node test/autograd/mutation/mutation-generated.mjs --sample 40 src/selm/losses.ts src/nn/schedule.ts
 *
 * For src/<area>/.../<name>.ts a mutant first meets its own test, test/<area>/.../<name>.test.ts or
 * test/<area>/<name>.test.ts (when one exists), with any `--first PATH[,PATH...]` test files under test/<area>,
 * stopping at the first failure; a mutant that survives them meets all of test/<area> (src/autograd/ops/*.ts:
 * test/autograd). A mutant that no longer compiles or loads counts as caught but is listed as such.
 * `--sample N` draws N mutants (seeded, default seed 1) from all of them; without it every mutant runs.
 * `--only FILE:LINE[,FILE:LINE...]` keeps the mutants of those lines (to check that a new test kills a known
 * survivor), and `--tests PATH[,PATH...]` runs only those test files against each mutant (a quick check)
 * instead of the own test and the folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { generateMutants } from './generate.mjs';
import { runVitest, scratchCopy } from './vitest-run.mjs';

const args = process.argv.slice(2);
let sample = Infinity;
let seed = 1;
let only = null;
let testsOnly = null;
let firstTests = [];
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--sample') sample = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else if (args[i] === '--only') only = new Set(args[++i].split(','));
  else if (args[i] === '--tests') testsOnly = args[++i].split(',');
  else if (args[i] === '--first') firstTests = args[++i].split(',');
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: mutation-generated.mjs [--sample N] [--seed S] FILE...');
  process.exit(2);
}

const { root, work, report } = scratchCopy();
const run = (...targets) => runVitest(work, report, [...targets, '--bail=1']);
let mutants = files.flatMap((f) => generateMutants(f, readFileSync(join(root, f), 'utf8')));
if (only) mutants = mutants.filter((m) => only.has(`${m.file}:${m.line}`));
const total = mutants.length;
// A seeded Fisher–Yates draw (mulberry32), so a sample is reproducible.
let s = seed >>> 0;
const random = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = mutants.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [mutants[i], mutants[j]] = [mutants[j], mutants[i]];
}
mutants = mutants.slice(0, Math.min(sample, mutants.length));
console.log(`${total} mutants generated from ${files.length} file(s); running ${mutants.length}`);

/** src/<area>/... is tested under test/<area> (src/autograd/ops/x.ts too: its tests are in test/autograd). */
function testArea(file) {
  return join('test', file.split('/')[1]);
}

/** A file's own test: test/<same folders>/<name>.test.ts, or test/<area>/<name>.test.ts. */
function ownTests(file) {
  const name = `${basename(file, '.ts')}.test.ts`;
  const mirrored = join('test', dirname(file).split('/').slice(1).join('/'), name);
  return [mirrored, join(testArea(file), name)].filter((t) => existsSync(join(work, t)));
}

let caught = 0;
let broken = 0;
const survivors = [];
for (const m of mutants) {
  const path = join(work, m.file);
  const original = readFileSync(path, 'utf8');
  const lines = original.split('\n');
  lines[m.line - 1] = m.after;
  writeFileSync(path, lines.join('\n'));
  let failed;
  if (testsOnly) failed = run(...testsOnly);
  else {
    const first = [...ownTests(m.file), ...firstTests.filter((t) => t.startsWith(`${testArea(m.file)}/`))];
    failed = first.length > 0 ? run(...new Set(first)) : [];
    if (failed !== null && failed.length === 0) failed = run(testArea(m.file));
  }
  writeFileSync(path, original);
  const where = `${m.file}:${m.line} ${m.kind}`;
  if (failed === null || failed.some((f) => f.endsWith('(did not load)'))) {
    broken++;
    caught++;
    console.log(`caught (does not load)  ${where}`);
  } else if (failed.length > 0) {
    caught++;
    console.log(failed[0] === '(timed out)' ? `caught (tests timed out)  ${where}` : `caught  ${where}  by ${failed[0]}`);
  } else {
    survivors.push(m);
    console.log(`SURVIVED  ${where}\n    - ${m.before.trim()}\n    + ${m.after.trim()}`);
  }
}
rmSync(work, { recursive: true, force: true });
const n = mutants.length;
console.log(
  `score: ${caught}/${n} caught (${((100 * caught) / Math.max(1, n)).toFixed(0)}%; ${broken} of them by not loading), ${survivors.length} survived`,
);
