/**
 * A Redis Sentinel topology of real processes on free loopback ports: one master, one replica,
 * three Sentinels (quorum 2), for failover tests of ingest, tails and the chaos scenarios.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, type RedisServerProcess, startRedisServer } from './redis-server.js';
import { waitUntil } from './wait-until.js';

export interface SentinelAddress {
  host: string;
  port: number;
}

export interface SentinelTopology {
  masterName: string;
  /** What REDIS_SENTINELS lists: `host:port` of each Sentinel. */
  sentinels: SentinelAddress[];
  /** The two data nodes; which is master changes with a failover. */
  nodes: RedisServerProcess[];
  /** The node the Sentinels name as master now. */
  master(): Promise<RedisServerProcess>;
  /**
   * SENTINEL FAILOVER; resolves with the new master once every Sentinel names it and it takes
   * writes. Replication is asynchronous: writes the old master had not sent are lost.
   */
  failover(timeoutMs?: number): Promise<RedisServerProcess>;
  stop(): Promise<void>;
}

export interface SentinelTopologyOptions {
  /** Default 'blockcast'. */
  masterName?: string;
  /** How long a silent master takes to be declared down (default 1000 ms). */
  downAfterMs?: number;
}

const READY_MS = 20_000;

export async function startSentinelTopology(
  options: SentinelTopologyOptions = {},
): Promise<SentinelTopology> {
  const masterName = options.masterName ?? 'blockcast';
  const downAfterMs = options.downAfterMs ?? 1000;
  const started: RedisServerProcess[] = [];
  const dirs: string[] = [];
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop().catch(() => {})));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const first = await startRedisServer();
    started.push(first);
    const second = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(first.port)] });
    started.push(second);
    const nodes = [first, second];
    await waitUntil(() => replicaLinkUp(second.port), READY_MS, 'the replica in sync with the master');

    const sentinels: SentinelAddress[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'blockcast-sentinel-'));
      dirs.push(dir);
      const configFile = join(dir, 'sentinel.conf');
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${first.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = await startRedisServer({
        dir,
        configFile,
        port: await freePort(),
        args: ['--sentinel'],
      });
      started.push(sentinel);
      sentinels.push({ host: '127.0.0.1', port: sentinel.port });
    }
    // A failover needs every Sentinel to know the replica and the other Sentinels (hello messages).
    await waitUntil(
      async () => {
        for (const sentinel of sentinels) {
          const replicas = (await ask(sentinel.port, ['SENTINEL', 'REPLICAS', masterName])) as unknown[];
          const peers = (await ask(sentinel.port, ['SENTINEL', 'SENTINELS', masterName])) as unknown[];
          if (replicas.length < 1 || peers.length < 2) return false;
        }
        return true;
      },
      READY_MS,
      'three Sentinels that know the replica and each other',
      100,
    );

    const master = async (): Promise<RedisServerProcess> => {
      const [, port] = (await ask(sentinels[0]!.port, [
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        masterName,
      ])) as [string, string];
      const node = nodes.find((each) => each.port === Number(port));
      if (node === undefined) throw new Error(`the Sentinels name an unknown master on port ${port}`);
      return node;
    };
    return {
      masterName,
      sentinels,
      nodes,
      master,
      async failover(timeoutMs = READY_MS) {
        const old = await master();
        const next = nodes.find((node) => node !== old)!;
        await ask(sentinels[0]!.port, ['SENTINEL', 'FAILOVER', masterName]);
        await waitUntil(
          async () => {
            for (const sentinel of sentinels) {
              const [, port] = (await ask(sentinel.port, [
                'SENTINEL',
                'GET-MASTER-ADDR-BY-NAME',
                masterName,
              ])) as [string, string];
              if (Number(port) !== next.port) return false;
            }
            return (await role(next.port)) === 'master';
          },
          timeoutMs,
          `every Sentinel naming port ${next.port} master`,
          50,
        );
        return next;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One command on a short-lived connection: topology checks must not hold clients open. */
async function ask(port: number, command: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command[0]!, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

async function replicaLinkUp(port: number): Promise<boolean> {
  return /master_link_status:up/.test(String(await ask(port, ['INFO', 'replication'])));
}

async function role(port: number): Promise<string | undefined> {
  return /role:(\w+)/.exec(String(await ask(port, ['INFO', 'replication'])))?.[1];
}
