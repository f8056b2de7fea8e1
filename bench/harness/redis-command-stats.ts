/** Redis `INFO commandstats` as calls per command, and the difference of two readings. */
import type { Redis } from 'ioredis';

export type CommandCalls = Record<string, number>;

export async function commandCalls(redis: Redis): Promise<CommandCalls> {
  const calls: CommandCalls = {};
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls[match[1]!] = Number(match[2]);
  }
  return calls;
}

/** Calls made between two readings, commands with none left out. */
export function callsBetween(before: CommandCalls, after: CommandCalls): CommandCalls {
  const delta: CommandCalls = {};
  for (const [command, count] of Object.entries(after)) {
    const made = count - (before[command] ?? 0);
    if (made > 0) delta[command] = made;
  }
  return delta;
}
