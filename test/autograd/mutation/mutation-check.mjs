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
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MUTATIONS } from './mutations.mjs';
import { runVitest, scratchCopy } from './vitest-run.mjs';

const { work, report } = scratchCopy();
const only = process.argv.slice(2);
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
  const failed = runVitest(work, report, ['test/autograd', '--exclude', 'test/autograd/backend-gpujs.test.ts']) ?? [
    '(no report: the run crashed)',
  ];
  for (const [path, text] of saved) writeFileSync(path, text);
  if (failed.length === 0 && !m.equivalent) holes++;
  console.log(`${m.id} ${m.what}: ${failed.length} failing test(s)${m.equivalent ? ` [equivalent mutant: ${m.equivalent}]` : ''}`);
  for (const f of failed) console.log(`    ${f}`);
}
rmSync(work, { recursive: true, force: true });
console.log(holes === 0 ? 'every non-equivalent mutation was caught' : `${holes} mutation(s) caught by no test`);
process.exit(holes === 0 ? 0 : 1);
