/**
 * Shared by the mutation scripts (mutation-check.mjs, mutation-generated.mjs): a temporary copy of the
 * repository to break code in (the working tree is never modified), and one vitest run in it.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const TIMEOUT_MS = 600_000;

/** The repository copied to a temporary folder (without node_modules, .git and dist; node_modules linked). */
export function scratchCopy() {
  const root = resolve(new URL('../../..', import.meta.url).pathname);
  const work = mkdtempSync(join(tmpdir(), 'selm-mutation-'));
  const skip = new Set(['node_modules', '.git', 'dist']);
  cpSync(root, work, { recursive: true, filter: (src) => !skip.has(basename(src)) || resolve(src, '..') !== root });
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  return { root, work, report: join(work, 'mutation-result.json') };
}

/**
 * Failed tests of one `vitest run ...args` in `work`, ['(timed out)'] when it ran past TIMEOUT_MS (a mutant that
 * makes a test loop or allocate without end), or null when it produced no report (the mutant broke loading).
 * vitest runs in this node directly (not under npx), so that the timeout's SIGKILL ends it and its worker
 * threads, not only a wrapper.
 */
export function runVitest(work, report, args) {
  if (existsSync(report)) rmSync(report);
  const vitest = join(work, 'node_modules', 'vitest', 'vitest.mjs');
  const result = spawnSync(process.execPath, [vitest, 'run', ...args, '--reporter=json', `--outputFile=${report}`], {
    cwd: work,
    stdio: 'ignore',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  if (result.error?.code === 'ETIMEDOUT' || result.signal === 'SIGKILL') return ['(timed out)'];
  if (!existsSync(report)) return null;
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const failed = [];
  for (const file of r.testResults) {
    if (file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'))
      failed.push(`${basename(file.name)} (did not load)`);
    for (const t of file.assertionResults) if (t.status === 'failed') failed.push(`${basename(file.name)} > ${t.fullName}`);
  }
  // With --bail, a run cut short may leave the failing test out of its report; its exit status still says it failed.
  if (failed.length === 0 && result.status !== 0) failed.push(`vitest exited with status ${result.status}`);
  return failed;
}
