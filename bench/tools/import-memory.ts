/**
 * Peak RSS of a streamed preference import (issue 14): generates a JSONL file of about --mb megabytes
 * (UltraFeedback-shaped rows with unicode and extra columns), imports it with `importPreferenceFile` writing the
 * normalised output, and reports the peak RSS sampled every 20 ms. A measurement, not a test.
 *
 *   npx esbuild bench/tools/import-memory.ts --bundle --platform=node --format=esm --outfile=dist/import-memory.js && node dist/import-memory.js --mb 100
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPreferenceFile } from '../../src/lab/node/import-stream.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const targetBytes = arg('mb', 100) * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'selm-import-bench-'));
const file = join(dir, 'big.jsonl');

async function generate(): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let rows = 0;
  while (bytes < targetBytes) {
    const prompt = `Question ${rows}: explain why the sky is blue, in simple words — ünïcödé 🦊 ${'lorem ipsum '.repeat(20)}`;
    const row = {
      prompt,
      prompt_id: `id-${rows}`,
      chosen: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: `Rayleigh scattering ${'of short wavelengths '.repeat(10)}` },
      ],
      rejected: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: 'Because it is.' },
      ],
      score_chosen: 8,
      score_rejected: 3,
    };
    const line = `${JSON.stringify(row)}\n`;
    bytes += Buffer.byteLength(line);
    rows++;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return rows;
}

const rows = await generate();
global.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const start = performance.now();
const summary = await importPreferenceFile(file, join(dir, 'out.jsonl'));
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
console.log(
  JSON.stringify({
    fileMb: Number(mb(statSync(file).size)),
    rows,
    imported: summary.records,
    extras: summary.extras,
    rssBeforeMb: Number(mb(before)),
    peakRssMb: Number(mb(peak)),
    seconds: Number(((performance.now() - start) / 1000).toFixed(1)),
  }),
);
rmSync(dir, { recursive: true, force: true });
