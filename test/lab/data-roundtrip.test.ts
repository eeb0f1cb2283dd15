/**
 * Preference data round-trips or is refused with a reason: values an export would write back differently
 * (a number past 2^53, one that prints as 1e+23, leading zeros) are errors naming the field; a pair whose
 * chosen and rejected are the same is an error; repeated triples are reported; control characters in an error
 * are shown escaped; a --out into a missing folder names that target, not a hidden temporary file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultsFor } from '../../src/lab/config.js';
import { DataError, duplicatePreferenceLines, parsePreferencesJsonl, preferencesToJsonl } from '../../src/lab/data.js';
import { buildWorld } from '../../src/lab/runner.js';
import { selm } from '../cli/capture.js';

const scratch = mkdtempSync(join(tmpdir(), 'selm-data-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const bandit = buildWorld(defaultsFor('bandit'), 0);
const language = buildWorld(defaultsFor('language'), 0);
const line = (prompt: string, chosen: string, rejected: string): string => JSON.stringify({ prompt, chosen, rejected });

function error(text: string, world = bandit): string {
  try {
    parsePreferencesJsonl(text, world, 'd.jsonl');
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('data import round-trips or refuses', () => {
  it("the world's own export reads back and writes back byte for byte (both worlds)", () => {
    for (const w of [bandit, language]) {
      const text = preferencesToJsonl(w.preferences, w);
      expect(preferencesToJsonl(parsePreferencesJsonl(text, w, 'd.jsonl'), w)).toBe(text);
    }
  });

  for (const [what, index, shown] of [
    ['a number that prints as 1e+23', '99999999999999999999999', '#1e+23'],
    ['a number past 2^53', '9007199254740993', '#9007199254740992'],
    ['leading zeros', '007', '#7'],
  ] as const) {
    it(`${what} is refused, saying how it would be written back`, () => {
      expect(error(line(`task 0 #${index}`, 'r3', 'r4'))).toContain(
        `d.jsonl:1: field 'prompt' "task 0 #${index}" would be written back as "task 0 ${shown}"`,
      );
    });
  }

  it('spacing is not a difference: " f  d " reads as "f d"', () => {
    expect(parsePreferencesJsonl(line(' f  d ', 'f c', 'a'), language, 'd.jsonl')).toHaveLength(1);
  });

  it('chosen == rejected is refused', () => {
    expect(error(`${line('task 0 #1', 'r3', 'r4')}\n${line('task 0 #2', 'r5', 'r5')}`)).toContain(
      `d.jsonl:2: field 'rejected': is the same response as chosen ("r5")`,
    );
  });

  it('repeated triples are found, with the line they repeat', () => {
    const text = [line('task 0 #1', 'r3', 'r4'), '', line('task 0 #2', 'r3', 'r4'), line('task 0 #1', 'r3', 'r4')].join('\n');
    expect(duplicatePreferenceLines(text)).toEqual([[4, 1]]);
  });

  it('a NUL or other control character shows escaped in the error', () => {
    const message = error(line('f d', 'f\u0000c', 'a'), language);
    expect(message).toContain('\\u0000');
    expect(message).not.toContain('\u0000');
  });

  it('selm data import warns about repeats; export --out into a missing folder names the target, exit 2', async () => {
    const file = join(scratch, 'd.jsonl');
    writeFileSync(file, `${line('task 0 #1', 'r3', 'r4')}\n${line('task 0 #1', 'r3', 'r4')}\n`);
    const imported = await selm('data', 'import', file, '--world', 'bandit');
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(`${file}:2 repeats the triple of line 1`);
    const target = join(scratch, 'missing', 'out.jsonl');
    const exported = await selm('data', 'export', '--world', 'bandit', '--out', target);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toContain(`${target}: cannot write (the folder ${join(scratch, 'missing')} does not exist)`);
    expect(exported.stderr).not.toMatch(/\.tmp/);
    expect(readFileSync(file, 'utf8')).toContain('task 0 #1');
  });
});
