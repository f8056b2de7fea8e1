/**
 * `blockcast <command> …`: the commands by name, each a module with its own flags. Exit codes
 * are in exit-codes.ts.
 */
import { ExitCode, UsageError } from './exit-codes.js';
import { tailCommand } from './tail.js';

export interface Command {
  usage: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = { tail: tailCommand };

function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((command) => `  blockcast ${command.usage}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(
      `${name === undefined || name === '--help' ? '' : `unknown command ${name}\n`}${usage()}\n`,
    );
    return name === '--help' ? ExitCode.DONE : ExitCode.USAGE;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`blockcast ${name}: ${error.message}\nusage: blockcast ${command.usage}\n`);
    return ExitCode.USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
