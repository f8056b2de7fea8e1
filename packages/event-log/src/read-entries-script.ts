import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import type { StreamEntry } from './stream-entry.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';

/**
 * Entries after a position together with the stream's epoch, read in one script, so a reader bound
 * to an epoch never takes a batch of another history (the stream recreated or rolled back between
 * a separate epoch read and the XRANGE). KEYS: stream, epoch. ARGV: exclusive start, count.
 * Replies `{epoch or false, entries}`.
 */
const READ_ENTRIES = new RedisScript(`${STREAM_LUA_PRELUDE}
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local epoch = epoch_of(KEYS[1], KEYS[2], newest[1] and newest[1][2])
return {epoch or false, redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])}
`);

export async function readEntriesWithEpoch(
  redis: Redis,
  keys: { stream: string; epoch: string },
  start: string,
  count: number,
): Promise<{ epoch: string | null; entries: StreamEntry[] }> {
  const [epoch, entries] = (await READ_ENTRIES.run(
    redis,
    [keys.stream, keys.epoch],
    [start, String(count)],
  )) as [string | null, StreamEntry[]];
  return { epoch: epoch ?? null, entries };
}
