/**
 * The `selm` command: a small subcommand dispatcher. Each command lives in commands/<name>.ts and exports
 * a function taking its own arguments and resolving to an exit code.
 */
import { runTourCommand } from './commands/tour.js';

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  tour: { summary: 'a short tour of the autograd engine with gradient checks', run: runTourCommand },
};

/** The command `selm` runs with no arguments (and so `npm start`). */
const DEFAULT_COMMAND = 'tour';

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return `usage: selm <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nWith no command, runs '${DEFAULT_COMMAND}'. Every command takes --help.`;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? DEFAULT_COMMAND : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const command = COMMANDS[name];
  if (!command) {
    console.error(`selm: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`selm: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
