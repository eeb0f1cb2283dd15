/**
 * `selm data export|import`: preference sets as JSONL with prompt, chosen and rejected (the format TRL and the
 * Hugging Face hub use). Export writes a world's offline set D (or its held-out pairs); import validates a file
 * against a world, line by line, so it can serve as D in a config ("preferences": "FILE").
 */
import { defaultsFor } from '../../lab/config.js';
import { duplicatePreferenceLines, preferencesToJsonl } from '../../lab/data.js';
import { readPreferencesJsonl, readTextFile, writePreferencesJsonl } from '../../lab/node/files.js';
import { buildWorld } from '../../lab/runner.js';
import type { ExperimentConfig } from '../../lab/config.js';
import { flag, intOption, parse, stringOption, UsageError, type Parsed } from '../args.js';
import { printResult } from '../output.js';
import { readConfigFile } from '../run-report.js';

export const DATA_USAGE = `usage: selm data export (--world bandit|language | --config FILE) [--seed N] [--split train|test] [--out FILE [--json]]
       selm data import FILE (--world bandit|language | --config FILE) [--out FILE] [--json]

export  writes the world's offline preference set D (split train, default) or its held-out pairs (split
        test) as JSONL, one {"prompt", "chosen", "rejected"} object per line, to FILE or stdout
import  checks every line of FILE against the world's vocabulary (errors name FILE:LINE and why); with
        --out, writes the normalised set. Use a checked file as D with "preferences": "FILE" in a config.

options:
  --world KIND    the world with its default settings
  --config FILE   the world of an experiment config
  --seed N        the world's seed (default: the config's first seed, or 0)
  --split NAME    train (D) or test (held-out pairs)
  --out FILE      where to write (written atomically)
  --json          print one JSON result record with the count and the files (see README, Commands);
                  export takes it only with --out, since without --out stdout is the JSONL itself
  -h, --help      this help`;

function worldConfig(p: Parsed): ExperimentConfig {
  const kind = stringOption(p, 'world');
  const file = stringOption(p, 'config');
  if ((kind === undefined) === (file === undefined))
    throw new UsageError(`selm data: give exactly one of --world KIND or --config FILE\n\n${DATA_USAGE}`);
  if (file !== undefined) return readConfigFile(file);
  if (kind !== 'bandit' && kind !== 'language') throw new UsageError(`selm data: --world must be 'bandit' or 'language', got '${kind}'`);
  return { ...defaultsFor(kind), preferences: null };
}

export async function runDataCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === '--help' || action === '-h') {
    console.log(DATA_USAGE);
    return 0;
  }
  if (action === undefined) throw new UsageError(`selm data: which action? export or import\n\n${DATA_USAGE}`);
  const options = {
    world: { type: 'string' },
    config: { type: 'string' },
    seed: { type: 'string' },
    split: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  } as const;
  if (action === 'export') {
    const p = parse('data export', rest, options);
    if (flag(p, 'help')) {
      console.log(DATA_USAGE);
      return 0;
    }
    const config = worldConfig(p);
    const seed = intOption('data export', p, 'seed', 0) ?? config.seeds[0] ?? 0;
    const split = stringOption(p, 'split') ?? 'train';
    if (split !== 'train' && split !== 'test') throw new UsageError(`selm data export: --split must be 'train' or 'test', got '${split}'`);
    const world = buildWorld(config, seed, config.preferences === null ? null : readTextFile(config.preferences));
    const prefs = split === 'train' ? world.preferences : world.testPreferences;
    const out = stringOption(p, 'out');
    const json = flag(p, 'json');
    if (out === undefined) {
      if (json) throw new UsageError('selm data export: --json needs --out FILE (without it, stdout is the JSONL data itself)');
      process.stdout.write(preferencesToJsonl(prefs, world));
      return 0;
    }
    writePreferencesJsonl(out, prefs, world);
    if (json) printResult('data export', { ok: true, world: config.world.kind, seed, split, count: prefs.length, out });
    else console.log(`selm data export: ${prefs.length} preference triples -> ${out}`);
    return 0;
  }
  if (action === 'import') {
    const p = parse('data import', rest, options, 1);
    if (flag(p, 'help')) {
      console.log(DATA_USAGE);
      return 0;
    }
    const file = p.positionals[0];
    if (file === undefined) throw new UsageError(`selm data import: which file? give a JSONL path\n\n${DATA_USAGE}`);
    if (stringOption(p, 'split') !== undefined) throw new UsageError('selm data import: --split applies to export only');
    const config = worldConfig(p);
    const seed = intOption('data import', p, 'seed', 0) ?? config.seeds[0] ?? 0;
    const world = buildWorld({ ...config, preferences: null }, seed);
    const prefs = readPreferencesJsonl(file, world);
    for (const [line, firstLine] of duplicatePreferenceLines(readTextFile(file)))
      console.error(`selm data import: warning: ${file}:${line} repeats the triple of line ${firstLine}`);
    const out = stringOption(p, 'out');
    if (out !== undefined) writePreferencesJsonl(out, prefs, world);
    if (flag(p, 'json'))
      printResult('data import', { ok: true, world: config.world.kind, seed, count: prefs.length, file, out: out ?? null });
    else
      console.log(
        `selm data import: ${file}: ${prefs.length} valid preference triples for the ${config.world.kind} world${out !== undefined ? ` -> ${out}` : ''}`,
      );
    return 0;
  }
  const what = action.startsWith('-') ? `unknown option '${action}' before the action` : `unknown action '${action}'`;
  throw new UsageError(`selm data: ${what} (expected export or import first)\n\n${DATA_USAGE}`);
}
