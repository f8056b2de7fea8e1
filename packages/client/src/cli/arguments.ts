/** Command-line flags: `--name value` or `--name=value`, and positionals, checked against what a command takes. */
import { UsageError } from './exit-codes.js';

export interface ParsedArguments {
  positionals: string[];
  flags: Map<string, string>;
}

export function parseArguments(
  argv: readonly string[],
  takes: readonly string[],
  switches: readonly string[] = [],
): ParsedArguments {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i]!;
    if (!argument.startsWith('--')) {
      positionals.push(argument);
      continue;
    }
    const [name, inline] = argument.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (switches.includes(name)) {
      flags.set(name, 'true');
      continue;
    }
    if (!takes.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (inline === undefined) i += 1;
    const value = inline ?? argv[i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags };
}
