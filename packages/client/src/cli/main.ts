/**
 * `blockcast <command> …`: the commands by name, each a module with its own options, help and
 * examples. Exit codes are in exit-codes.ts.
 */
import { type OptionSpecs, type ParsedArguments, parseArguments } from './arguments.js';
import { catalogCommand } from './catalog.js';
import { type CliDefaults, loadCliDefaults } from './config.js';
import { emitCommand } from './emit.js';
import { CommandFailure, ExitCode, UsageError } from './exit-codes.js';
import { statusCommand } from './status.js';
import { tailCommand } from './tail.js';

export interface Command {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** The synopsis after `blockcast `. */
  usage: string;
  /** What `--help` prints after the synopsis: the options and examples. */
  help: string;
  options: OptionSpecs;
  run(args: ParsedArguments, defaults: CliDefaults): Promise<number>;
}

const COMMANDS: readonly Command[] = [tailCommand, emitCommand, catalogCommand, statusCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'usage: blockcast <command> [options]      (blockcast <command> --help for its options and examples)',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'exit codes: 0 done, 1 usage, 2 cannot connect, 3 history gone, 4 epoch changed, 5 not authorised,',
    '            6 refused, 7 idle timeout (tail), 8 not ready (status)',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS.find((command) => command.name === rest[0]);
    process.stdout.write(`${topic === undefined ? overview() : helpOf(topic)}\n`);
    return ExitCode.DONE;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    process.stderr.write(
      `${name === undefined ? '' : `blockcast: unknown command ${name}\n`}${overview()}\n`,
    );
    return ExitCode.USAGE;
  }
  try {
    const args = parseArguments(rest, command.options);
    if (args.help) {
      process.stdout.write(`${helpOf(command)}\n`);
      return ExitCode.DONE;
    }
    return await command.run(args, loadCliDefaults(process.env, process.stdout.isTTY === true));
  } catch (error) {
    if (error instanceof CommandFailure) {
      process.stderr.write(`blockcast ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(
      `blockcast ${name}: ${error.message}\nusage: blockcast ${command.usage}\n(blockcast ${name} --help for more)\n`,
    );
    return ExitCode.USAGE;
  }
}

function helpOf(command: Command): string {
  return `usage: blockcast ${command.usage}\n\n${command.help.trim()}`;
}

process.exitCode = await main(process.argv.slice(2));
