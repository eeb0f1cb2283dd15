#!/usr/bin/env node
/**
 * Mutation check for the autograd tests (issue 2, "Done when"): copies the repository to a temporary folder
 * (so nobody else's test run sees a broken engine), breaks one backward rule or stability trick at a time,
 * runs `vitest run test/autograd` there, and lists the tests that failed. A mutation no test catches is a hole
 * in the suite. The working tree is never modified.
 *
 *   node test/autograd/mutation/mutation-check.mjs            # all mutations (about 5 minutes on 2 cores)
 *   node test/autograd/mutation/mutation-check.mjs M1 M7      # some of them
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { MUTATIONS } from './mutations.mjs';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'selm-mutation-'));
const skip = new Set(['node_modules', '.git', 'dist']);
cpSync(root, work, { recursive: true, filter: (src) => !skip.has(basename(src)) || resolve(src, '..') !== root });
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));

const only = process.argv.slice(2);
const report = join(work, 'mutation-result.json');
let holes = 0;
for (const m of MUTATIONS) {
  if (only.length > 0 && !only.includes(m.id)) continue;
  const saved = new Map();
  for (const [file, before, after] of m.edits) {
    const path = join(work, file);
    const text = saved.get(path) ?? readFileSync(path, 'utf8');
    if (!saved.has(path)) saved.set(path, text);
    const current = readFileSync(path, 'utf8');
    if (current.split(before).length !== 2)
      throw new Error(`${m.id}: the text to replace occurs ${current.split(before).length - 1} times in ${file}`);
    writeFileSync(path, current.replace(before, after));
  }
  if (existsSync(report)) rmSync(report);
  spawnSync(
    'npx',
    ['vitest', 'run', 'test/autograd', '--exclude', 'test/autograd/backend-gpujs.test.ts', '--reporter=json', `--outputFile=${report}`],
    {
      cwd: work,
      stdio: 'ignore',
      timeout: 600_000,
    },
  );
  for (const [path, text] of saved) writeFileSync(path, text);
  const failed = [];
  if (existsSync(report)) {
    for (const file of JSON.parse(readFileSync(report, 'utf8')).testResults) {
      for (const t of file.assertionResults) if (t.status === 'failed') failed.push(`${basename(file.name)} > ${t.fullName}`);
    }
  } else {
    failed.push('(no report: the run crashed)');
  }
  if (failed.length === 0 && !m.equivalent) holes++;
  console.log(`${m.id} ${m.what}: ${failed.length} failing test(s)${m.equivalent ? ` [equivalent mutant: ${m.equivalent}]` : ''}`);
  for (const f of failed) console.log(`    ${f}`);
}
rmSync(work, { recursive: true, force: true });
console.log(holes === 0 ? 'every non-equivalent mutation was caught' : `${holes} mutation(s) caught by no test`);
process.exit(holes === 0 ? 0 : 1);
