/**
 * The deployment the fault scenarios break: one redis-server on a dir of its own (so it can be
 * killed and started again on the same data) under the service stack (service-stack.ts: one
 * ingest, several gateways and discovery, each a process of its own on loopback ports), every one
 * of them signalled by PID.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type RedisServerProcess,
  type SentinelTopology,
  type ServiceProcess,
  startRedisServer,
  uniquePrefix,
  waitUntil,
} from '@blockcast/devkit';
import type { BlockEvent, GenericEvent } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { startServiceStack } from './service-stack.js';
import { redisServerOrSkip } from './test-dependencies.js';

/** The topology runs redis-server processes of its own: `{ skip }` without the binary. */
export const chaosSkip = redisServerOrSkip;

/** One stream entry as the gateways read it. */
export interface LoggedBlock {
  height: number;
  epoch: string | undefined;
  block: BlockEvent;
}

export interface ChaosGateway {
  name: string;
  service: ServiceProcess;
  /** `ws://127.0.0.1:<port>` */
  url: string;
  opsUrl: string;
  pid: number;
}

export interface ChaosTopologyOptions {
  gateways?: number;
  /** redis-server arguments for every start, e.g. AOF with fsync on every write. */
  redisArgs?: string[];
  /** Run on this Sentinel topology instead of a redis-server of its own; stopped with the topology. */
  sentinels?: SentinelTopology;
  /** More environment for ingest, e.g. `{ REDIS_WAIT_REPLICAS: '1' }`. */
  ingestEnv?: Record<string, string>;
  /** More environment for every service, e.g. `{ RETAIN_BLOCKS: '50' }`. */
  env?: Record<string, string>;
  /** More environment for every gateway, e.g. `{ GATEWAY_RING_BLOCKS: '5' }`. */
  gatewayEnv?: Record<string, string>;
}

export class ChaosTopology {
  readonly prefix = uniquePrefix('chaos');
  readonly token = randomBytes(24).toString('hex');
  readonly redisDir = mkdtempSync(join(tmpdir(), 'blockcast-chaos-redis-'));
  readonly gateways: ChaosGateway[] = [];
  redis!: RedisServerProcess;
  ingest!: ServiceProcess;
  ingestUrl = '';
  ingestOpsUrl = '';
  #redisPort = 0;
  /** Every service process started, so a failed start still stops the others. */
  readonly #started: ServiceProcess[] = [];
  readonly #redisArgs: string[];
  readonly #sentinels: SentinelTopology | undefined;
  readonly #ingestEnv: Record<string, string>;
  readonly #env: Record<string, string>;
  readonly #gatewayEnv: Record<string, string>;

  private constructor(options: ChaosTopologyOptions) {
    this.#redisArgs = options.redisArgs ?? [];
    this.#sentinels = options.sentinels;
    this.#ingestEnv = options.ingestEnv ?? {};
    this.#env = options.env ?? {};
    this.#gatewayEnv = options.gatewayEnv ?? {};
  }

  static async start(options: ChaosTopologyOptions = {}): Promise<ChaosTopology> {
    const topology = new ChaosTopology(options);
    if (options.sentinels === undefined) {
      topology.#redisPort = await freePort();
      await topology.startRedis();
    }
    try {
      await topology.#startServices(options.gateways ?? 2);
    } catch (error) {
      // Child services do not die with the test process: stop what did start before failing.
      await topology.stop();
      throw error;
    }
    return topology;
  }

  get gatewayUrls(): string[] {
    return this.gateways.map((gateway) => gateway.url);
  }

  /** (Re)starts redis-server on the same port and dir: with whatever data the dir holds. */
  async startRedis(): Promise<void> {
    this.redis = await startRedisServer({ port: this.#redisPort, dir: this.redisDir, args: this.#redisArgs });
  }

  /** SIGKILL: Redis saves nothing it had not already written. */
  async killRedis(): Promise<void> {
    await killAndWait(this.redis.pid);
  }

  /** A client of its own (of the current master, with Sentinel), for SAVE, XRANGE and the epoch key. */
  admin(): Redis {
    const sentinels = this.#sentinels;
    if (sentinels === undefined) return new Redis(this.redis.url, { maxRetriesPerRequest: 1 });
    return new Redis({ sentinels: sentinels.sentinels, name: sentinels.masterName, maxRetriesPerRequest: 1 });
  }

  /** What every service is given to reach Redis: its URL, or the Sentinels and the master's name. */
  #redisEnv(): Record<string, string> {
    const sentinels = this.#sentinels;
    if (sentinels === undefined) return { REDIS_URL: this.redis.url };
    return {
      REDIS_SENTINELS: sentinels.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
      REDIS_SENTINEL_MASTER: sentinels.masterName,
    };
  }

  /** The stream's current epoch, read from Redis. */
  async epoch(): Promise<string | null> {
    const admin = this.admin();
    try {
      return await admin.get(`${this.prefix}epoch`);
    } finally {
      admin.disconnect();
    }
  }

  /** The stream's key on Redis. */
  get streamKey(): string {
    return `${this.prefix}blocks`;
  }

  /** Every block on the stream now, read back with XRANGE: what the clients are checked against. */
  async loggedBlocks(): Promise<LoggedBlock[]> {
    return (await this.#loggedEntries())
      .filter(([id]) => id.endsWith('-0'))
      .map(([id, fields]) => {
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        return {
          height: Number(id.split('-')[0]),
          epoch: fields.includes('epoch') ? field('epoch') : undefined,
          block: JSON.parse(field('block') ?? 'null') as BlockEvent,
        };
      });
  }

  /** Every generic event on the stream now, in bus order. */
  async loggedEvents(): Promise<GenericEvent[]> {
    return (await this.#loggedEntries())
      .filter(([id]) => !id.endsWith('-0'))
      .map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as GenericEvent);
  }

  async #loggedEntries(): Promise<[id: string, fields: string[]][]> {
    const admin = this.admin();
    try {
      return await admin.xrange(this.streamKey, '-', '+');
    } finally {
      admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    for (const service of this.#started) signal(service.child.pid, 'SIGCONT');
    for (const node of this.#sentinels?.nodes ?? [this.redis]) signal(node.pid, 'SIGCONT');
    await Promise.all(this.#started.map((service) => service.stop(3000)));
    if (this.#sentinels) await this.#sentinels.stop();
    else if (alive(this.redis.pid)) await this.redis.stop();
    rmSync(this.redisDir, { recursive: true, force: true });
  }

  async #startServices(count: number): Promise<void> {
    const stack = await startServiceStack({
      redisUrl: '',
      redisEnv: this.#redisEnv(),
      label: 'chaos',
      prefix: this.prefix,
      token: this.token,
      gateways: count,
      env: this.#env,
      ingestEnv: this.#ingestEnv,
      gatewayEnv: { GATEWAY_DRAIN_DELAY_MS: '0', ...this.#gatewayEnv },
    });
    this.ingest = stack.ingest.process;
    this.ingestUrl = stack.ingest.url;
    this.ingestOpsUrl = stack.ingest.opsUrl;
    this.#started.push(stack.ingest.process, stack.discovery.process);
    for (const gateway of stack.gateways) {
      this.#started.push(gateway.process);
      this.gateways.push({
        name: gateway.name,
        service: gateway.process,
        url: `ws://127.0.0.1:${gateway.port}`,
        opsUrl: `http://127.0.0.1:${gateway.opsPort}`,
        pid: gateway.process.child.pid!,
      });
    }
  }
}

/** Sends a signal to a process this test started; a process already gone is not an error. */
export function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function killAndWait(pid: number): Promise<void> {
  signal(pid, 'SIGKILL');
  await waitUntil(() => !alive(pid), 5000, `process ${pid} gone after SIGKILL`, 20);
}
