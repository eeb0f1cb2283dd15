/** `selm gradcheck`, the command (the suite itself is tested in test/selm/gradcheck-suite.test.ts). */
import { describe, expect, it } from 'vitest';
import { SELM_TERMS, type GradcheckResult } from '../../src/selm/gradcheck-suite.js';
import { selm } from './capture.js';

describe('selm gradcheck', () => {
  it('--json prints one result record whose results are {term, problem, maxAbsError, maxRelError, pass}, exit 0', async () => {
    const r = await selm('gradcheck', '--json', '--problem', 'tabular');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as { type: string; command: string; ok: boolean; results: GradcheckResult[] };
    expect(record).toMatchObject({ type: 'result', command: 'gradcheck', ok: true });
    expect(record.results).toHaveLength(SELM_TERMS.length);
    for (const row of record.results) expect(Object.keys(row).sort()).toEqual(['maxAbsError', 'maxRelError', 'pass', 'problem', 'term']);
    expect(record.results.map((row) => row.term)).toContain('eq3.3-optimism-is');
  });

  it('prints a table, and --help and bad arguments behave', async () => {
    const table = await selm('gradcheck', '--term', 'selm', '--term', 'eq3.3-total');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/selm\s+tiny-gpt/);
    expect(table.stdout).toMatch(/4 of 4 checks pass/);
    expect((await selm('gradcheck', '--help')).code).toBe(0);
    const problem = await selm('gradcheck', '--problem', 'nope');
    expect(problem.code).toBe(2);
    expect(problem.stderr).toMatch(/unknown problem 'nope'/);
    const term = await selm('gradcheck', '--term', 'nope');
    expect(term.code).toBe(2);
    expect(term.stderr).toMatch(/unknown term 'nope'/);
    expect((await selm('gradcheck', '--term')).code).toBe(2);
  });
});
