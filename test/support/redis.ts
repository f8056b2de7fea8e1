/**
 * A real Redis for tests (architecture §9): REDIS_URL if set; else a container when a container
 * runtime answers; else a `redis-server` binary on a free port in a temp dir, stopped after.
 * REQUIRE_REDIS=1 turns "no Redis" into a failure instead of a skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** How it was obtained, for the test log. */
  source: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

let shared: Promise<TestRedis | undefined> | undefined;

/** One Redis per test process, started on first use and stopped when the process exits. */
export function testRedis(): Promise<TestRedis | undefined> {
  shared ??= obtainRedis().then((redis) => {
    if (redis === undefined && process.env.REQUIRE_REDIS === '1') {
      throw new Error(
        'REQUIRE_REDIS=1 but no Redis: set REDIS_URL, run a container runtime, or install redis-server',
      );
    }
    return redis;
  });
  return shared;
}

/** A key prefix no other test uses, so tests share one Redis without seeing each other. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** `{ skip }` for `test()` options when no Redis can be had (and none is required). */
export async function redisOrSkip(): Promise<{ redis: TestRedis } | { skip: string }> {
  const redis = await testRedis();
  return redis ? { redis } : { skip: 'no Redis available (set REDIS_URL or install redis-server)' };
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

export interface RedisServerProcess {
  url: string;
  /** For CPU and memory readings (bench). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * A `redis-server` of its own on a free port in a temp dir, answering PING when this resolves,
 * killed with the calling process. Tests get it through {@link testRedis}; the bench calls it
 * directly for the pid.
 */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  // The server must not keep the calling process alive; it dies with the process instead.
  child.unref();
  process.once('exit', () => child.kill('SIGKILL'));
  await waitForPing(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      // Held again while stopping, so a caller awaiting stop() is not cut short by an empty loop.
      child.ref();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => {}); // refused until the server is up; the loop retries
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}
