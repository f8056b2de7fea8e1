import { ConfigError, type Env, readList, readOptionalString, readUrl } from './env-config.js';

/** Where Redis is: one URL, or Sentinels plus a master name (architecture §4 topologies). */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; masterName: string; password?: string };

export function readRedisTarget(env: Env): RedisTarget | undefined {
  const sentinels = readList(env, 'REDIS_SENTINELS');
  if (sentinels.length > 0) {
    const masterName = readOptionalString(env, 'REDIS_SENTINEL_MASTER');
    if (masterName === undefined)
      throw new ConfigError('REDIS_SENTINEL_MASTER', 'required when REDIS_SENTINELS is set');
    const password = readOptionalString(env, 'REDIS_PASSWORD');
    return {
      kind: 'sentinel',
      masterName,
      sentinels: sentinels.map((entry) => {
        const [host, port] = entry.split(':');
        const parsed = Number(port ?? '26379');
        if (!host || !Number.isInteger(parsed) || parsed < 1 || parsed > 65535)
          throw new ConfigError('REDIS_SENTINELS', `bad host:port "${entry}"`);
        return { host, port: parsed };
      }),
      ...(password === undefined ? {} : { password }),
    };
  }
  const url = readUrl(env, 'REDIS_URL', undefined, ['redis:', 'rediss:']);
  return url === undefined ? undefined : { kind: 'url', url };
}
