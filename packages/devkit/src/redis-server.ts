/**
 * A `redis-server` binary of its own on a free port in a temp dir: for tests (through
 * test/support/redis.ts), the bench (which reads its pid) and the local topology.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { killOnExit } from './kill-on-exit.js';
import { waitUntil } from './wait-until.js';

export interface RedisServerProcess {
  url: string;
  port: number;
  /** Its working directory (RDB and AOF files): start another on it to restart with the data. */
  dir: string;
  /** For CPU and memory readings (bench) and for signals (chaos tests). */
  pid: number;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Default: a free port. */
  port?: number;
  /** Default: a new temp dir. */
  dir?: string;
  /** More redis-server arguments, e.g. `['--appendonly', 'yes']`; later ones override the defaults. */
  args?: string[];
  /** A config file read first (a Sentinel rewrites its own: `args: ['--sentinel']`). */
  configFile?: string;
}

/**
 * A `redis-server` of its own on a free port in a temp dir, answering PING when this resolves,
 * killed with the calling process. Tests get it through {@link testRedis}; the bench calls it
 * directly for the pid.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'blockcast-redis-'));
  const defaults = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const config = options.configFile === undefined ? [] : [options.configFile];
  const child = spawn('redis-server', [...config, ...defaults, ...(options.args ?? [])], { stdio: 'ignore' });
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`cannot run redis-server (${error.message}): apt-get install -y redis-server`)),
    ),
  );
  // The server must not keep the calling process alive; it dies with the process instead.
  child.unref();
  const forget = killOnExit(() => child.kill('SIGKILL'));
  child.once('exit', forget);
  await Promise.race([waitForPing(port, child), spawnFailed]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid!,
    stop: async () => {
      // Held again while stopping, so a caller awaiting stop() is not cut short by an empty loop.
      child.ref();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when a Redis at 127.0.0.1:`port` answers PING now. */
export async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {}); // refused until the server is up; the caller retries
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return answersPing(port);
    },
    10_000,
    `redis-server on port ${port} answering PING`,
    50,
  );
}

/**
 * A port nothing listens on, for a process to bind a moment later. Chosen below the kernel's
 * ephemeral range: a port the kernel handed out for listen(0) may meanwhile be taken as the local
 * end of one of the many client connections tests open, and the service then fails with EADDRINUSE.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = portRangeBelowEphemeral();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port between ${low} and ${high} on ${host}`);
}

function portRangeBelowEphemeral(): [number, number] {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {
    // Not Linux: the usual default.
  }
  const high = Math.max(2048, ephemeralLow - 1);
  return [Math.max(1025, high - 12_000), high];
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
