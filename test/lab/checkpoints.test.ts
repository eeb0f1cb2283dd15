/**
 * A run's checkpoints are checked before `selm eval` uses them: a NaN weight, a checkpoint of another method or
 * iteration copied into place, an F32 table in the float64 bandit, or a damaged file is an error naming the
 * file, with exit status 2, and the run's previous report is left byte for byte as it was.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/autograd/index.js';
import { defaultsFor } from '../../src/lab/config.js';
import { FolderStorage } from '../../src/lab/node/folder-storage.js';
import { writeReport } from '../../src/lab/report.js';
import { checkpointPath, runExperiment } from '../../src/lab/runner.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/nn/safetensors.js';
import { selm } from '../cli/capture.js';

const scratch = mkdtempSync(join(tmpdir(), 'selm-ckpt-'));
const finished = join(scratch, 'finished');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  const c = defaultsFor('bandit');
  c.seeds = [0];
  c.alphaSweep = [];
  const storage = new FolderStorage(finished);
  await writeReport(storage, await runExperiment(c, { storage }));
});

const REPORT = ['eval.json', 'summary.md'];
let trial = 0;

/** A copy of the finished run with one change, then `selm eval` on it: the exit, stderr, and whether the report is unchanged. */
async function evalAfter(change: (dir: string) => string): Promise<{ code: number; stderr: string; file: string; reportKept: boolean }> {
  const dir = join(scratch, `case${trial++}`);
  cpSync(finished, dir, { recursive: true });
  const before = REPORT.map((f) => readFileSync(join(dir, f)));
  const file = change(dir);
  const r = await selm('eval', dir);
  const reportKept = REPORT.every((f, i) => readFileSync(join(dir, f)).equals(before[i]!));
  return { code: r.code, stderr: r.stderr, file, reportKept };
}

function rewrite(
  path: string,
  edit: (name: string, values: number[]) => { values: number[]; dtype?: 'float32' | 'float64' },
  metadata?: (m: Record<string, string>) => Record<string, string>,
): void {
  const { tensors, metadata: m } = decodeSafetensors(readFileSync(path));
  const entries = [...tensors].map(([name, t]) => {
    const out = edit(name, Array.from(t.data));
    return [name, tensor(out.values, { dtype: out.dtype ?? t.dtype, shape: [...t.shape] })] as [string, ReturnType<typeof tensor>];
  });
  writeFileSync(path, encodeSafetensors(entries, metadata ? metadata(m) : m));
}

describe('selm eval on damaged checkpoints', () => {
  it('the unchanged run evaluates (exit 0): the cases below fail for their change alone', async () => {
    const r = await evalAfter(() => '');
    expect(r.code, r.stderr).toBe(0);
  });

  it('a NaN logit: exit 2 naming the file and tensor, report untouched', async () => {
    const r = await evalAfter((dir) => {
      const file = join(dir, checkpointPath(0, 'SELM', 2));
      rewrite(file, (_, v) => ({ values: v.map((x, i) => (i === 3 ? Number.NaN : x)) }));
      return file;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}: cannot be loaded`);
    expect(r.stderr).toContain(`'logits' holds NaN at index 3`);
    expect(r.reportKept).toBe(true);
    // Looking at a diverged model on purpose is an explicit flag.
    expect((await selm('eval', r.file.split('/checkpoints/')[0]!, '--allow-nonfinite')).code).toBe(0);
  });

  it('a DPO checkpoint copied over a SELM one: the stored method is checked', async () => {
    const r = await evalAfter((dir) => {
      const file = join(dir, checkpointPath(0, 'SELM', 1));
      copyFileSync(join(dir, checkpointPath(0, 'DPO', 1)), file);
      return file;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stored method is "DPO", expected "SELM"/);
    expect(r.stderr).toContain(r.file);
    expect(r.reportKept).toBe(true);
  });

  it('another iteration or seed copied into place: the stored iteration and seed are checked', async () => {
    const r = await evalAfter((dir) => {
      const file = join(dir, checkpointPath(0, 'DPO', 3));
      rewrite(
        file,
        (_, v) => ({ values: v }),
        (m) => ({ ...m, iteration: '2', seed: '5' }),
      );
      return file;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stored seed is "5", expected "0"/);
    expect(r.stderr).toMatch(/stored iteration is "2", expected "3"/);
    expect(r.reportKept).toBe(true);
  });

  it('F32 logits where the bandit keeps float64: the dtype is checked', async () => {
    const r = await evalAfter((dir) => {
      const file = join(dir, checkpointPath(0, 'SFT', 'sft'));
      rewrite(file, (_, v) => ({ values: v, dtype: 'float32' }));
      return file;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tensor 'logits' is float32, the model's is float64/);
    expect(r.reportKept).toBe(true);
  });

  it('a truncated file: exit 2 naming the file', async () => {
    const r = await evalAfter((dir) => {
      const file = join(dir, checkpointPath(0, 'DPO', 2));
      writeFileSync(file, readFileSync(file).subarray(0, 40));
      return file;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}: `);
    expect(r.reportKept).toBe(true);
  });
});
