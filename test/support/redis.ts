/**
 * A real Redis for tests (architecture §9): REDIS_URL if set; else a container when a container
 * runtime answers; else a `redis-server` binary on a free port in a temp dir, stopped after.
 * Without one the tests skip, or fail as test-dependencies.ts decides (REQUIRE_REDIS=1, CI=true).
 */
import { spawnSync } from 'node:child_process';
import { freePort, startRedisServer } from '@blockcast/devkit';
import { missing } from './test-dependencies.js';

export { freePort, uniquePrefix } from '@blockcast/devkit';

/** The port variables of ingest, a gateway and discovery: the six ports of one `npm start`. */
export const SERVICE_PORT_VARIABLES = [
  'INGEST_PORT',
  'INGEST_OPS_PORT',
  'GATEWAY_PORT',
  'GATEWAY_OPS_PORT',
  'DISCOVERY_PORT',
  'DISCOVERY_OPS_PORT',
] as const;

/** A free port for each variable named, as strings ready for a child process's environment. */
export async function freePortsFor(names: readonly string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, String(await freePort())])));
}

export interface TestRedis {
  url: string;
  /** How it was obtained, for the test log. */
  source: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

let shared: Promise<TestRedis | undefined> | undefined;

/** One Redis per test process, started on first use and stopped when the process exits. */
export function testRedis(): Promise<TestRedis | undefined> {
  shared ??= obtainRedis();
  return shared;
}

/** `{ skip }` for `test()` options when no Redis can be had (throws when one is required). */
export async function redisOrSkip(): Promise<{ redis: TestRedis } | { skip: string }> {
  const redis = await testRedis();
  return redis
    ? { redis }
    : missing('Redis', 'set REDIS_URL, run a container runtime, or install redis-server', 'redis');
}

async function obtainRedis(): Promise<TestRedis | undefined> {
  const url = process.env.REDIS_URL;
  if (url) return { url, source: 'REDIS_URL', stop: async () => {} };
  return (await fromContainer()) ?? (await fromBinary());
}

async function fromContainer(): Promise<TestRedis | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 3000);
  } catch {
    return undefined;
  }
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return {
      url: container.getConnectionUrl(),
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  } catch (error) {
    // A runtime that answers but cannot start the container (no image, no network): use the binary.
    process.stderr.write(`testcontainers could not start Redis (${String(error)}); trying redis-server\n`);
    return undefined;
  }
}

async function fromBinary(): Promise<TestRedis | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const server = await startRedisServer();
  return { url: server.url, source: 'redis-server', stop: server.stop };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}
