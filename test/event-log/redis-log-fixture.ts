/** Opens RedisStreamLogs on the test Redis, each on its own key prefix and its own clients. */
import { createHash } from 'node:crypto';
import { after } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import { RedisStreamLog, type RedisStreamLogOptions } from '@blockcast/event-log';
import { Redis } from 'ioredis';
import { redisOrSkip, uniquePrefix } from '../support/redis.js';
import type { LogUnderTest } from './event-log-conformance.js';

const available = await redisOrSkip();
// A redis-server started for this file keeps the test process alive until it is stopped.
after(() => ('redis' in available ? available.redis.stop() : undefined));

/** Why Redis tests skip, or false when a Redis is there (REQUIRE_REDIS=1 fails instead of skipping). */
export const redisSkip: string | false = 'skip' in available ? available.skip : false;

export interface RedisLogUnderTest extends LogUnderTest {
  log: RedisStreamLog;
  /** A separate client for looking at and disturbing the stream behind the log's back. */
  admin: Redis;
  prefix: string;
  /** The CLIENT SETNAME of this log's tail connections. */
  tailClientName: string;
}

export async function openRedisLog(
  options: Omit<RedisStreamLogOptions, 'redis' | 'prefix' | 'tailClientName'> = {},
): Promise<RedisLogUnderTest> {
  if (!('redis' in available)) throw new Error(`no Redis: ${redisSkip}`);
  const { url } = available.redis;
  const prefix = uniquePrefix('bus');
  const tailClientName = `${prefix}tail`;
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(url);
    clients.push(redis);
    return redis;
  };
  const admin = client();
  const build = (): RedisStreamLog =>
    new RedisStreamLog({ ...options, redis: client(), prefix, tailClientName });
  const log = build();
  const logs = [log];
  return {
    log,
    admin,
    prefix,
    tailClientName,
    peer: async () => {
      const peer = build();
      logs.push(peer);
      return peer;
    },
    storedHeights: async () => {
      const entries = await admin.xrange(log.key, '-', '+');
      return entries.map(([id]) => {
        const [height, sequence] = id.split('-');
        if (sequence !== '0') throw new Error(`entry ${id} is not <height>-0`);
        return Number(height);
      });
    },
    storedIds: async () => (await admin.xrange(log.key, '-', '+')).map(([id]) => id),
    cleanup: async () => {
      await Promise.all(logs.map((each) => each.close()));
      const remembered = await admin.keys(`${prefix}emitted:*`);
      await admin.del(log.key, log.epochKey, ...remembered);
      await Promise.all(clients.map((redis) => redis.quit()));
    },
  };
}

/** `stream-node-max-entries`: how many entries beyond the MINID approximate trimming may keep. */
export async function streamNodeMaxEntries(): Promise<number> {
  const { admin, cleanup } = await openRedisLog();
  try {
    const [, value] = (await admin.config('GET', 'stream-node-max-entries')) as [string, string];
    return Number(value);
  } finally {
    await cleanup();
  }
}

/** IDs of the connections named `name` in CLIENT LIST. */
export async function clientIds(admin: Redis, name: string): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? '')
    .filter((id) => id !== '');
}

/** An entry's `chain` as stream-lua.ts defines it, computed here independently: sha1 of `prev|id|digest`. */
export function chainOf(prev: string, id: string, digest: string): string {
  return sha1(`${prev}|${id}|${digest}`);
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Waits until a connection is blocked in XREAD (flag `b`): a tail waiting for its next entry. */
export async function blockedInXread(admin: Redis, timeoutMs = 5000): Promise<void> {
  await waitUntil(
    async () =>
      ((await admin.client('LIST')) as string)
        .split('\n')
        .some((line) => / flags=\w*b\w* /.test(line) && / cmd=xread /.test(line)),
    timeoutMs,
    'a tail blocked in XREAD',
  );
}

/**
 * Waits until `rounds` more XREADs have finished on the server. Two are enough to know a tail's
 * blocked read came back after this call and the tail went on (checking the epoch between them).
 */
export async function xreadsFinished(admin: Redis, rounds: number, timeoutMs = 10_000): Promise<void> {
  const calls = async () =>
    Number(/cmdstat_xread:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
  const from = await calls();
  await waitUntil(async () => (await calls()) >= from + rounds, timeoutMs, `${rounds} more XREADs`);
}
