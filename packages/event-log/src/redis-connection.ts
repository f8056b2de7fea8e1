import type { RedisTarget } from '@blockcast/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis client for a configured {@link RedisTarget}: one URL, or Sentinels and a master
 * name (architecture §4). `options` pass through to ioredis — e.g. `role: 'slave'` and
 * `preferredSlaves` for a gateway that reads from replicas (Sentinel only; a URL names its
 * server), `connectionName`, `lazyConnect`. The target's password authenticates to the
 * master and replicas, not to the Sentinels (`sentinelPassword` in `options` does that).
 * The caller owns the client: it quits it.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (target.kind === 'url') return new Redis(target.url, options);
  return new Redis({
    ...options,
    sentinels: target.sentinels,
    name: target.masterName,
    ...(target.password === undefined ? {} : { password: target.password }),
  });
}
