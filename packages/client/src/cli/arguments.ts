/**
 * Command-line arguments through Node's `util.parseArgs` (strict: an option a command does not
 * take is a usage error), with its errors rewritten into `UsageError`s that name the option.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable: every value, in order. */
  multiple?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface ParsedArguments {
  positionals: string[];
  /** String options by long name (the last value given; `all` has every value of a repeatable one). */
  flags: Map<string, string>;
  switches: Set<string>;
  all: Map<string, string[]>;
  /** `--help` / `-h` was given: the command prints its help instead of running. */
  help: boolean;
}

const HELP: OptionSpecs = { help: { type: 'boolean', short: 'h' } };

export function parseArguments(argv: readonly string[], options: OptionSpecs): ParsedArguments {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, ...HELP },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new UsageError(usageMessage(error as Error & { code?: string }));
  }
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  const all = new Map<string, string[]>();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'help') continue;
    const list = (Array.isArray(value) ? value : [value]).map(String);
    if (options[name]?.type === 'boolean') {
      if (value === true || (Array.isArray(value) && value.length > 0)) switches.add(name);
      continue;
    }
    all.set(name, list);
    flags.set(name, list.at(-1)!);
  }
  return { positionals, flags, switches, all, help: values.help === true };
}

/** parseArgs' messages explain its own syntax at length; a user needs the option named. */
function usageMessage(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(error.message)
        ? `${optionName(error.message)} needs a value`
        : `${optionName(error.message)} takes no value`;
    default:
      return error.message;
  }
}

/** `Option '-c, --count <value>' argument missing` → `-c/--count`. */
function optionName(message: string): string {
  const spec = /'([^']*)'/.exec(message)?.[1] ?? 'an option';
  return spec.replace(/ <value>$/, '').replace(', ', '/');
}

/** `500ms`, `5s`, `2m`, `1h`, or a number of seconds; > 0. */
export function parseDuration(option: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] ?? 's'] ?? 1000;
  const ms = match === null ? Number.NaN : Number(match[1]) * scale;
  if (!(ms > 0)) throw new UsageError(`${option} takes a duration such as 500ms, 5s or 2m, not ${value}`);
  return ms;
}

/** A whole number ≥ 1. */
export function parseCount(option: string, value: string): number {
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new UsageError(`${option} takes a whole number ≥ 1, not ${value}`);
  return count;
}
