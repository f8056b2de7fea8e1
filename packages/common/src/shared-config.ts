/**
 * The variables several services read, each with its one reader and its one default, so a
 * deployment that sets them once configures every service alike.
 */
import { ConfigError, type Env, readChoice, readInteger, readPort, readString } from './env-config.js';
import type { RedisTarget } from './redis-target.js';

/** BLOCKCAST_STREAM_PREFIX: the stream key is `<prefix>blocks`, so several chains or tests share a Redis. */
export const DEFAULT_STREAM_PREFIX = 'blockcast:';

export function readStreamPrefix(env: Env): string {
  return readString(env, 'BLOCKCAST_STREAM_PREFIX', DEFAULT_STREAM_PREFIX);
}

/** RETAIN_BLOCKS: blocks kept on the bus, i.e. how far back a client can resume. */
export const DEFAULT_RETAIN_BLOCKS = 100_000;

export function readRetainBlocks(env: Env): number {
  return readInteger(env, 'RETAIN_BLOCKS', DEFAULT_RETAIN_BLOCKS, { min: 1 });
}

/**
 * REDIS_COMMAND_TIMEOUT_MS: a command unanswered this long fails (ioredis `commandTimeout`), so a
 * Redis that stops answering (SIGSTOP, a half-open connection after a failover) turns into a 503
 * instead of a request that hangs for the whole outage. Not for tails: they block on purpose.
 */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;

export function readRedisCommandTimeoutMs(env: Env): number {
  return readInteger(env, 'REDIS_COMMAND_TIMEOUT_MS', DEFAULT_REDIS_COMMAND_TIMEOUT_MS, { min: 1 });
}

/**
 * BLOCKCAST_FIRST_HEIGHT: the only height an empty stream accepts, so neither a post at 2^53−1
 * nor a stale retry after an empty Redis restart can set where the chain starts.
 */
export const DEFAULT_FIRST_HEIGHT = 1;

export function readFirstHeight(env: Env): number {
  return readInteger(env, 'BLOCKCAST_FIRST_HEIGHT', DEFAULT_FIRST_HEIGHT, { min: 1 });
}

/**
 * BLOCKCAST_PROFILE: which original the deployment imitates. `legacy` is the 0.10 root document
 * in discovery; gateways serve the BigchainDB 2.x frames then.
 */
export const DEPLOYMENT_PROFILES = ['bigchaindb', 'planetmint', 'legacy'] as const;
export type DeploymentProfile = (typeof DEPLOYMENT_PROFILES)[number];

export function readDeploymentProfile(env: Env): DeploymentProfile {
  return readChoice(env, 'BLOCKCAST_PROFILE', DEPLOYMENT_PROFILES, 'bigchaindb');
}

/**
 * A separate service process needs Redis: on a private in-memory bus an ingest would accept
 * blocks no gateway sees, and a gateway would report ready and stream nothing.
 */
export function requireRedisTarget(target: RedisTarget | undefined, process: string): RedisTarget {
  if (target !== undefined) return target;
  throw new ConfigError(
    'REDIS_URL',
    `required for ${process} (or REDIS_SENTINELS); \`npm start\` runs everything in one process without it`,
  );
}

/**
 * `<SERVICE>_PORT` and `<SERVICE>_OPS_PORT`: the public port and the one for probes and metrics,
 * which must differ (0, a free port, is allowed for both).
 */
export function readServicePorts(
  env: Env,
  service: string,
  defaults: { port: number; opsPort: number },
): { port: number; opsPort: number } {
  const port = readPort(env, `${service}_PORT`, defaults.port);
  const opsPort = readPort(env, `${service}_OPS_PORT`, defaults.opsPort);
  if (opsPort !== 0 && opsPort === port) {
    throw new ConfigError(
      `${service}_OPS_PORT`,
      `must differ from ${service}_PORT, both are ${port}: probes and metrics need a port of their own`,
    );
  }
  return { port, opsPort };
}
