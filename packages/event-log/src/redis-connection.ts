import type { RedisTarget } from '@blockcast/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis client for a configured {@link RedisTarget}: one URL, or Sentinels and a master
 * name (architecture §4). `options` pass through to ioredis — e.g. `role: 'slave'` and
 * `preferredSlaves` for a gateway that reads from replicas (Sentinel only; a URL names its
 * server), `connectionName`, `lazyConnect`. The target's password authenticates to the
 * master and replicas, not to the Sentinels (`sentinelPassword` in `options` does that).
 * The caller owns the client: it quits it. Behind Sentinel, a READONLY reply means the node this
 * client is on was demoted in a failover: it reconnects (asking the Sentinels again) and resends.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (target.kind === 'url') return new Redis(target.url, options);
  return new Redis({
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...options,
    sentinels: target.sentinels,
    name: target.masterName,
    ...(target.password === undefined ? {} : { password: target.password }),
  });
}
