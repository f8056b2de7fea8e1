/**
 * The servers under test in bench/gateway-fanout.ts, each in its own process(es) so their CPU
 * and memory can be read from /proc: the blockcast gateway as deployed (services/gateway main.ts
 * tailing the Redis stream the driver appends to) and the two baselines, fed the same frames
 * over IPC.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, uniquePrefix } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { killOnExit } from './gateway-bench-processes.js';
import type { BaselineBlock, BaselineMessage } from './gateway-bench-shared.js';

export type TargetName = 'blockcast' | 'raw-uws' | 'ws';
export const TARGETS: readonly TargetName[] = ['blockcast', 'raw-uws', 'ws'];

export const TARGET_LABELS: Record<TargetName, string> = {
  blockcast: 'blockcast gateway',
  'raw-uws': 'raw uWS publish loop',
  ws: '`ws` broadcast loop',
};

export interface RunningServer {
  pids: number[];
  urls: string[];
  /** Hands block `index` to the server: an append to the bus, or its frames over IPC. */
  deliver(index: number): Promise<void>;
  /** Gateway counters read from /metrics at the end (blockcast only). */
  metrics(): Promise<Record<string, number>>;
  /** The stream's epoch, which a resuming client sends with `since` (blockcast only). */
  epoch?(): Promise<string | null>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  processes: number;
  /** Command prefix that pins the server, e.g. ['taskset', '-c', '0'], or []. */
  pin: string[];
  /** Extra node flags for the server processes, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeFlags: string[];
  events: BlockEvent[];
  frames: string[][];
  redis: Redis;
  redisUrl: string;
  /** Extra environment for the gateway processes (GATEWAY_SLOW_CLIENT_BYTES, …). */
  gatewayEnv?: Record<string, string>;
  /** Extra environment for the baseline processes (BENCH_KEEP_IDLE, …). */
  baselineEnv?: Record<string, string>;
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const STREAM_PATH = '/api/v1/streams/valid_transactions';

export function spawnNode(
  options: Pick<ServerOptions, 'pin' | 'nodeFlags'>,
  entry: string,
  env: Record<string, string>,
  ipc: boolean,
): ChildProcess {
  const argv = [
    ...options.pin,
    process.execPath,
    ...options.nodeFlags,
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    './bench/gateway-gc-hook.ts',
    entry,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'inherit'],
  });
  killOnExit(child);
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function waitForHttp200(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode} before ${url} answered`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

export function startServer(target: TargetName, options: ServerOptions): Promise<RunningServer> {
  return target === 'blockcast' ? startGateways(options) : startBaseline(target, options);
}

/** P gateway processes sharing one port (SO_REUSEPORT), tailing a fresh stream prefix. */
async function startGateways(options: ServerOptions): Promise<RunningServer> {
  const prefix = uniquePrefix('bench-fanout');
  const log = new RedisStreamLog({ redis: options.redis, prefix });
  const port = await freePort();
  const children: ChildProcess[] = [];
  const opsPorts: number[] = [];
  for (let p = 0; p < options.processes; p++) {
    const opsPort = await freePort();
    opsPorts.push(opsPort);
    const child = spawnNode(
      options,
      'services/gateway/src/main.ts',
      {
        REDIS_URL: options.redisUrl,
        BLOCKCAST_STREAM_PREFIX: prefix,
        GATEWAY_PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
        ...options.gatewayEnv,
      },
      false,
    );
    children.push(child);
    await waitForHttp200(`http://127.0.0.1:${opsPort}/readyz`, child);
  }
  return {
    pids: children.map((child) => child.pid!),
    urls: [`ws://127.0.0.1:${port}${STREAM_PATH}`],
    async deliver(index) {
      // ingestedAt is stamped here, as ingest stamps it right before the append.
      const result = await log.append({ ...options.events[index]!, ingestedAt: Date.now() });
      if (result.status !== 'appended') throw new Error(`append ${result.height}: ${result.status}`);
    },
    epoch: () => log.epoch(),
    async metrics() {
      const totals: Record<string, number> = {};
      for (const opsPort of opsPorts) {
        const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
        for (const line of text.split('\n')) {
          // Counters and gauges with their labels, summed over the processes; histograms left out.
          const match = /^(blockcast_gateway_\w+?(?:\{[^}]*\})?) (\S+)$/.exec(line);
          if (match === null || /_(?:bucket|sum|count)\b/.test(match[1]!)) continue;
          // Every sample carries service="gateway": the key is the name and its other labels.
          const key = match[1]!
            .replace(/service="gateway",?/, '')
            .replace(/,?\}$/, '}')
            .replace('{}', '');
          totals[key] = (totals[key] ?? 0) + Number(match[2]);
        }
      }
      return totals;
    },
    async stop() {
      await Promise.all(children.map((child) => stopChild(child)));
      await options.redis.del(log.key);
    },
  };
}

/** The baselines: raw uWS shares one port between processes; `ws` takes one port each. */
async function startBaseline(target: 'raw-uws' | 'ws', options: ServerOptions): Promise<RunningServer> {
  const entry =
    target === 'raw-uws' ? 'bench/baselines/raw-uws-server.ts' : 'bench/baselines/ws-broadcast-server.ts';
  const shared = await freePort();
  const children: ChildProcess[] = [];
  const ports = new Set<number>();
  for (let p = 0; p < options.processes; p++) {
    const port = target === 'raw-uws' ? shared : await freePort();
    const child = spawnNode(options, entry, { BENCH_PORT: String(port), ...options.baselineEnv }, true);
    children.push(child);
    const listening = await new Promise<BaselineMessage>((resolve, reject) => {
      child.once('message', (message: BaselineMessage) => resolve(message));
      child.once('exit', (code) => reject(new Error(`${target} server exited with ${code}`)));
    });
    ports.add(listening.port);
  }
  return {
    pids: children.map((child) => child.pid!),
    urls: [...ports].map((port) => `ws://127.0.0.1:${port}${STREAM_PATH}`),
    async deliver(index) {
      const message: BaselineBlock = {
        type: 'block',
        height: options.events[index]!.height,
        frames: options.frames[index]!,
      };
      for (const child of children) child.send(message);
    },
    async metrics() {
      return {};
    },
    async stop() {
      for (const child of children) child.disconnect();
      await Promise.all(children.map((child) => stopChild(child, 3000)));
    },
  };
}
