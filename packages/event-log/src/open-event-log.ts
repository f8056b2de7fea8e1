import type { RedisTarget } from '@blockcast/common';
import type { RedisOptions } from 'ioredis';
import type { TrimMode } from './append-script.js';
import type { EventLog, EventLogOptions } from './event-log.js';
import { MemoryLog } from './memory-log.js';
import { createRedisClient } from './redis-connection.js';
import { RedisStreamLog } from './redis-stream-log.js';

export interface OpenEventLogOptions extends EventLogOptions {
  /** Where Redis is. Without it the log lives in this process: the embedded default of `npm start`. */
  redis?: RedisTarget;
  /** Stream key prefix (default 'blockcast:'). */
  prefix?: string;
  /** Retention trimming (default 'approximate'); see {@link RedisStreamLog}. */
  trim?: TrimMode;
  /**
   * Commands of the client (appends, reads, pings) unanswered this long fail (ioredis
   * `commandTimeout`); tails are not affected (default: none).
   */
  commandTimeoutMs?: number;
  /** ioredis options for the client, e.g. `{ role: 'slave' }` for a gateway reading from replicas. */
  redisOptions?: RedisOptions;
  /** Errors of the Redis connections (ioredis prints unhandled ones to stderr otherwise). */
  onRedisError?: (error: unknown) => void;
}

/**
 * The event log a service is configured for: a {@link RedisStreamLog} on a client it creates
 * and closes itself when `redis` is given, else a {@link MemoryLog}. Close it with `close()`.
 */
export function openEventLog(options: OpenEventLogOptions = {}): EventLog {
  const { retainBlocks, firstHeight, maxEventsPerHeight, maxEventBytes, idempotencyWindowMs } = options;
  const shared = { retainBlocks, firstHeight, maxEventsPerHeight, maxEventBytes, idempotencyWindowMs };
  if (options.redis === undefined) return new MemoryLog(shared);
  const redis = createRedisClient(options.redis, {
    ...options.redisOptions,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
  });
  if (options.onRedisError) redis.on('error', options.onRedisError);
  return new RedisStreamLog({
    redis,
    ownsClient: true,
    prefix: options.prefix,
    ...shared,
    trim: options.trim,
    onTailError: options.onRedisError,
  });
}
