/**
 * The `selm` command: a small subcommand dispatcher. Each command lives in commands/<name>.ts and exports
 * a function taking its own arguments and resolving to an exit code. Exit codes, streams and the --json record
 * follow one convention, written down in output.ts: usage errors and invalid input (a bad option, config or
 * data file) exit with 2 and a message naming what is wrong; other failures exit with 1.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../lab/config.js';
import { DataError } from '../lab/data.js';
import { InvalidInputError } from '../lab/errors.js';
import { UsageError } from './args.js';
import { errorLine, wantsJson } from './output.js';
import { VERSION } from './version.js';
import { runDataCommand } from './commands/data.js';
import { runDemoCommand } from './commands/demo.js';
import { runExportCommand } from './commands/export.js';
import { runImportCommand } from './commands/import.js';
import { runEvalCommand } from './commands/eval.js';
import { runGradcheckCommand } from './commands/gradcheck.js';
import { runJudgesCommand } from './commands/judges.js';
import { runTourCommand } from './commands/tour.js';
import { runTrainCommand } from './commands/train.js';

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  demo: { summary: 'SELM vs iterative DPO in the bandit and language worlds, with the results table (npm start)', run: runDemoCommand },
  train: { summary: 'one experiment from a config file (every knob), or --resume an interrupted run', run: runTrainCommand },
  eval: { summary: 're-evaluate a finished run from its checkpoints and rewrite its report', run: runEvalCommand },
  judges: {
    summary: 'SELM and DPO ranked by the true reward r* and by a learned reward model: what the judge costs each',
    run: runJudgesCommand,
  },
  gradcheck: { summary: "every SELM term's gradient against finite differences (float64)", run: runGradcheckCommand },
  data: { summary: 'export or import preference sets as JSONL (prompt, chosen, rejected)', run: runDataCommand },
  export: {
    summary: 'a run as a Hugging Face GPT-2 folder (hf) or a TRL hand-off with per-iteration datasets (trl)',
    run: runExportCommand,
  },
  import: {
    summary: 'real preference JSONL (TRL, conversational, UltraFeedback; streamed) or a Hugging Face GPT-2 folder',
    run: runImportCommand,
  },
  tour: { summary: 'a short tour of the autograd engine with gradient checks', run: runTourCommand },
};

/** The command `selm` runs with no arguments (and so `npm start`). */
const DEFAULT_COMMAND = 'demo';

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return [
    'usage: selm <command> [options]',
    '       selm --version',
    '',
    `commands:\n${lines.join('\n')}`,
    '',
    `With no command, runs '${DEFAULT_COMMAND}'. Every command takes --help, and --json for JSON lines on stdout.`,
    'Exit codes: 0 done, 1 failed while working, 2 a usage or input error.',
  ].join('\n');
}

/** The `command` of a JSON record: `data export` and `data import` name their action. */
function commandName(name: string, args: readonly string[]): string {
  return name === 'data' && (args[0] === 'export' || args[0] === 'import') ? `data ${args[0]}` : name;
}

/** Runs one `selm` invocation; resolves to its exit code (errors are printed, not thrown). */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return 0;
  }
  if (first === '--version') {
    if (rest.length > 0) {
      console.error(`selm: --version takes no arguments, got '${rest[0]}'`);
      return 2;
    }
    console.log(VERSION);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? DEFAULT_COMMAND : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const command = COMMANDS[name];
  if (!command) {
    console.error(`selm: unknown command '${name}'\n\n${usage()}`);
    if (wantsJson(rest)) process.stdout.write(errorLine(name, 2, `selm: unknown command '${name}'`));
    return 2;
  }
  try {
    return await command.run(args);
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const message = raw.startsWith('selm') ? raw : `selm ${name}: ${raw}`;
    const code =
      error instanceof UsageError || error instanceof ConfigError || error instanceof DataError || error instanceof InvalidInputError
        ? 2
        : 1;
    console.error(message);
    if (wantsJson(args)) process.stdout.write(errorLine(commandName(name, args), code, message));
    return code;
  }
}

/** True when this module is the program (node dist/cli.js), not a library import (tests). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`selm: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
