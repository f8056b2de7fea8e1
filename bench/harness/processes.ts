/**
 * The processes bench/scenarios/gateway-fanout.bench.ts runs beside the servers under test: load generators
 * (bench/loadgen/loadgen.ts, driven over IPC), its own redis-server, and /proc readings of them.
 * Every child is killed when the driver exits, however it exits.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type RedisServerProcess, startRedisServer } from '@blockcast/devkit';
import { Redis } from 'ioredis';
import type { GeneratorCommand, GeneratorMessage } from './messages.js';
import { rssBytes } from './proc.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** SIGKILLs `child` if this process exits first (a crash must not leave servers behind). */
export function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}

/** A load generator process and a way to wait for its next message of a given type. */
export class Generator {
  readonly child: ChildProcess;
  private readonly waiters = new Map<string, (message: GeneratorMessage) => void>();

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/loadgen/loadgen.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    killOnExit(this.child);
    this.child.on('message', (message: GeneratorMessage) => {
      const waiter = this.waiters.get(message.type);
      this.waiters.delete(message.type);
      waiter?.(message);
    });
  }

  send(command: GeneratorCommand): void {
    this.child.send(command);
  }

  ask<T extends GeneratorMessage['type']>(
    command: GeneratorCommand,
    reply: T,
    timeoutMs: number,
  ): Promise<Extract<GeneratorMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`load generator: no ${reply} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(reply, (message) => {
        clearTimeout(timer);
        resolve(message as Extract<GeneratorMessage, { type: T }>);
      });
      this.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * RSS of the server processes after full GCs (SIGUSR2, see gateway-gc-hook.ts), one a second,
 * at least `minRounds` of them and until three readings in a row agree within 0.5 % (at most
 * 20): a fresh Node process keeps handing pages back for ~10 s after start-up (100 → 83 MB for
 * an idle gateway here), which would otherwise swamp the per-connection figure.
 */
export async function settledRss(pids: number[], minRounds: number): Promise<number> {
  const readings: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
    await delay(1000);
    readings.push(sumOver(pids, rssBytes));
    const last = readings.slice(-3);
    const spread = Math.max(...last) - Math.min(...last);
    if (round + 1 >= minRounds && last.length === 3 && spread <= last[2]! * 0.005) break;
  }
  return readings.at(-1)!;
}

export function sumOver(pids: number[], read: (pid: number) => number): number {
  return pids.reduce((sum, pid) => sum + read(pid), 0);
}

/** The test helper's redis-server, plus a connected client for the driver. */
export async function startRedis(): Promise<RedisServerProcess & { client: Redis }> {
  const server = await startRedisServer();
  const client = new Redis(server.url, { maxRetriesPerRequest: 0 });
  return {
    ...server,
    client,
    async stop() {
      client.disconnect();
      await server.stop();
    },
  };
}

export function machineInfo(): Record<string, string | number> {
  const model = execFileSync('lscpu', { encoding: 'utf8' })
    .split('\n')
    .find((line) => line.startsWith('Model name:'));
  const uws = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/uWebSockets.js/package.json'), 'utf8'));
  const ws = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/ws/package.json'), 'utf8'));
  return {
    nproc: availableParallelism(),
    cpu: model?.replace(/^Model name:\s+/, '') ?? 'unknown',
    node: process.version,
    uws: `${uws.name}@${uws.version}`,
    ws: `ws@${ws.version}`,
    redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
  };
}
