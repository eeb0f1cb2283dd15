/** Import of real preference data: TRL standard and conversational, UltraFeedback-binarized, errors with FILE:LINE. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { duplicateKey, formatChatPrompt, parsePreferenceRecord } from '../../src/lab/data/records.js';
import { importPreferenceFile, streamPreferenceRecords } from '../../src/lab/node/import-stream.js';
import type { PreferenceRecord } from '../../src/lab/data/records.js';

const dir = mkdtempSync(join(tmpdir(), 'selm-import-'));
let count = 0;
function fixture(text: string): string {
  const file = join(dir, `f${count++}.jsonl`);
  writeFileSync(file, text);
  return file;
}

async function readAll(file: string): Promise<PreferenceRecord[]> {
  const out: PreferenceRecord[] = [];
  await streamPreferenceRecords(file, (r) => {
    out.push(r);
  });
  return out;
}

const long = 'ü'.repeat(200_000);

describe('formats', () => {
  test('standard: strings with unicode, CRLF line ends, a BOM and a 200,000-character line', async () => {
    const lines = [
      { prompt: "Wie geht's? 🦊", chosen: 'Gut, danke.', rejected: 'Nein.' },
      { prompt: '東京', chosen: long, rejected: 'x' },
    ].map((r) => JSON.stringify(r));
    const file = fixture(`\uFEFF${lines.join('\r\n')}\r\n\r\n`);
    const records = await readAll(file);
    expect(records.map((r) => r.prompt)).toEqual(["Wie geht's? 🦊", '東京']);
    expect(records[1]!.chosen).toBe(long);
    expect(records[0]!.extra).toEqual({});
  });

  test('conversational: explicit prompt messages, or the prompt implicit in chosen/rejected', async () => {
    const user = { role: 'user', content: 'Name a colour.' };
    const file = fixture(
      [
        { prompt: [user], chosen: [{ role: 'assistant', content: 'Blue.' }], rejected: [{ role: 'assistant', content: 'Seven.' }] },
        { chosen: [user, { role: 'assistant', content: 'Red.' }], rejected: [user, { role: 'assistant', content: 'Ten.' }] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const records = await readAll(file);
    expect(records[0]!.prompt).toBe('<|user|>\nName a colour.\n<|assistant|>\n');
    expect(records[0]!.prompt).toBe(formatChatPrompt([user]));
    expect(records[1]!.prompt).toBe(records[0]!.prompt);
    expect([records[0]!.chosen, records[1]!.rejected]).toEqual(['Blue.', 'Ten.']);
  });

  test('UltraFeedback-binarized: scores read, prompt_id and messages kept as extras and counted', async () => {
    const prompt = 'Why is the sky blue?';
    const row = {
      prompt,
      prompt_id: 'abc',
      chosen: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: 'Rayleigh scattering.' },
      ],
      rejected: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: 'Paint.' },
      ],
      messages: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: 'Rayleigh scattering.' },
      ],
      score_chosen: 8.5,
      score_rejected: 2,
      reference_response: [{ role: 'assistant', content: 'Because of scattering.' }],
    };
    const file = fixture(`${JSON.stringify(row)}\n${JSON.stringify({ ...row, prompt_id: 'def' })}\n`);
    const out = join(dir, 'uf-out.jsonl');
    const summary = await importPreferenceFile(file, out);
    expect(summary).toEqual({ records: 2, extras: { messages: 2, prompt_id: 2 }, withReference: 2, withScores: 2 });
    const back = JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(back).toMatchObject({
      prompt: formatChatPrompt([{ role: 'user', content: prompt }]),
      chosen: 'Rayleigh scattering.',
      reference_response: 'Because of scattering.',
      score_chosen: 8.5,
      prompt_id: 'abc',
    });
    // The normalised file imports again to the same records.
    expect((await readAll(out)).map((r) => r.chosen)).toEqual(['Rayleigh scattering.', 'Rayleigh scattering.']);
  });

  test("this project's D_t layout (prompt ending in <sep>) imports back to the plain prompt", () => {
    expect(parsePreferenceRecord({ prompt: 'hello<sep>', chosen: 'a', rejected: 'b' }, 'x:1').prompt).toBe('hello');
  });
});

describe('errors name FILE:LINE and the field', () => {
  const cases: [string, string, RegExp][] = [
    ['not json', '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{oops\n', /:2: not valid JSON/],
    ['missing field', '{"prompt": "a", "chosen": "b"}\n', /:1: field 'rejected': is missing/],
    ['wrong type', '{"prompt": 3, "chosen": "b", "rejected": "c"}\n', /:1: field 'prompt': must be a string, got 3/],
    [
      'bad message',
      '{"prompt": "a", "chosen": [{"role": "assistant"}], "rejected": [{"role": "assistant", "content": "c"}]}\n',
      /:1: field 'chosen\[0\]': must be a \{"role": str, "content": str\} message/,
    ],
    [
      'not ending with the assistant',
      '{"prompt": "a", "chosen": [{"role": "user", "content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}\n',
      /:1: field 'chosen': must end with an assistant message/,
    ],
    [
      'prompt mismatch',
      '{"prompt": "a", "chosen": [{"role": "user", "content": "b"}, {"role": "assistant", "content": "y"}], "rejected": [{"role": "assistant", "content": "z"}]}\n',
      /:1: field 'chosen': its messages before the last do not match/,
    ],
    [
      'bad score',
      '{"prompt": "a", "chosen": "b", "rejected": "c", "score_chosen": "high"}\n',
      /:1: field 'score_chosen': must be a finite number/,
    ],
    ['an array line', '\n\n[1, 2]\n', /:3: expected a JSON object/],
    [
      'the bad field is the one named',
      '{"prompt": "x", "chosen": "a", "rejected": 1}\n',
      /:1: field 'rejected': must be a string or a list/,
    ],
    [
      'a string and a message list',
      '{"prompt": "x", "chosen": "a", "rejected": [{"role": "assistant", "content": "b"}]}\n',
      /:1: field 'rejected': is a message list while chosen is a string: both must take the same form/,
    ],
    [
      'a duplicated key',
      '{"prompt": "x", "chosen": "a", "chosen": "b", "rejected": "c"}\n',
      /:1: field 'chosen': appears twice in one object/,
    ],
    [
      'a duplicated key inside a message',
      '{"prompt": "x", "chosen": [{"role": "assistant", "content": "a", "content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]}\n',
      /:1: field 'chosen\[\]\.content': appears twice/,
    ],
    [
      'chosen == rejected',
      '{"prompt": "x", "chosen": "a", "rejected": "a"}\n',
      /:1: field 'rejected': is the same response as chosen \("a"\)/,
    ],
    [
      'chosen == rejected, conversational',
      '{"prompt": "x", "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "a"}]}\n',
      /:1: field 'rejected': is the same response as chosen/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    test(name, async () => {
      const file = fixture(text);
      const out = join(dir, `bad-${count}.jsonl`);
      await expect(importPreferenceFile(file, out)).rejects.toThrow(
        new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${pattern.source}`),
      );
      expect(existsSync(out)).toBe(false);
    });
  }

  test('--out into a missing folder names the output asked for, not a temporary file', async () => {
    const file = fixture('{"prompt": "x", "chosen": "a", "rejected": "b"}\n');
    const out = join(dir, 'no-such-folder', 'x.jsonl');
    await expect(importPreferenceFile(file, out)).rejects.toThrow(
      `${out}: cannot write (the folder ${join(dir, 'no-such-folder')} does not exist)`,
    );
  });

  test('duplicateKey finds a repeated key at any depth and nothing in JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.jsonValue(), (obj, key, value) => {
        expect(duplicateKey(JSON.stringify(obj))).toBeNull();
        const nested = JSON.stringify({ a: [obj, { b: obj }] });
        expect(duplicateKey(nested)).toBeNull();
        const text = JSON.stringify({ ...obj, [key]: value });
        const twice = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value)}}`;
        expect(duplicateKey(twice)).toBe(key);
        expect(duplicateKey(`{"m":[{"k":1},${twice}]}`)).toBe(`m[].${key}`);
      }),
    );
  });

  test('an empty file and a missing file', async () => {
    await expect(readAll(fixture('\n\n'))).rejects.toThrow(/no preference triples/);
    await expect(readAll(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl: cannot read/);
  });
});
