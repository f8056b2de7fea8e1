/** An ingest app with SOURCE=cometbft on the test Redis, and an independent reading of what the node committed. */
import { after } from 'node:test';
import { RedisStreamLog } from '@blockcast/event-log';
import { buildIngestApp, type IngestApp, loadIngestConfig } from '@blockcast/ingest';
import type { BlockEvent } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { readBlocks } from '../../event-log/tail-recorder.js';
import { redisOrSkip, uniquePrefix } from '../../support/redis.js';

const available = await redisOrSkip();
after(() => ('redis' in available ? available.redis.stop() : undefined));

export const redisSkip: string | false = 'skip' in available ? available.skip : false;

export interface FollowerUnderTest {
  /** A new ingest app following `rpcUrl` onto this bus (several in a row share the bus). */
  startFollower(env?: Record<string, string>): Promise<{ app: IngestApp; opsPort: number }>;
  /** Every block on the bus, in stream order. */
  bus(): Promise<BlockEvent[]>;
  log: RedisStreamLog;
  /** The Redis and key prefix of this bus, for a follower started as a process. */
  redisUrl: string;
  prefix: string;
  close(): Promise<void>;
}

export function followerOn(rpcUrl: string): FollowerUnderTest {
  if (!('redis' in available)) throw new Error(`no Redis: ${redisSkip}`);
  const url = available.redis.url;
  const prefix = uniquePrefix('follower');
  const redis = new Redis(url);
  const log = new RedisStreamLog({ redis, prefix });
  const apps: IngestApp[] = [];
  return {
    log,
    redisUrl: url,
    prefix,
    async startFollower(env = {}) {
      const config = loadIngestConfig({
        SOURCE: 'cometbft',
        COMETBFT_RPC_URL: rpcUrl,
        FOLLOWER_POLL_MS: '200',
        FOLLOWER_RPC_TIMEOUT_MS: '2000',
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: '0',
        INGEST_OPS_PORT: '0',
        REDIS_URL: url,
        BLOCKCAST_STREAM_PREFIX: prefix,
        ...env,
      });
      const app = buildIngestApp({ config, log });
      apps.push(app);
      const { opsPort } = await app.start();
      return { app, opsPort };
    },
    bus: () => readBlocks(log, 1, 1_000_000),
    async close() {
      await Promise.all(apps.map((app) => app.close()));
      await log.close();
      await redis.quit();
    },
  };
}

/** What the node committed at `height`, read straight from its RPC: valid ids, and rejected ids with code and log. */
export async function nodeBlock(
  rpcUrl: string,
  height: number,
): Promise<{ valid: string[]; rejected: { id: string; code: number; log: string }[] }> {
  const block = (await (await fetch(`${rpcUrl}/block?height=${height}`)).json()) as {
    result: { block: { data: { txs: string[] | null } } };
  };
  const results = (await (await fetch(`${rpcUrl}/block_results?height=${height}`)).json()) as {
    result: { txs_results: { code: number; log: string }[] | null };
  };
  const txs = block.result.block.data.txs ?? [];
  const outcome = results.result.txs_results ?? [];
  const valid: string[] = [];
  const rejected: { id: string; code: number; log: string }[] = [];
  txs.forEach((encoded, i) => {
    const { id } = JSON.parse(Buffer.from(encoded, 'base64').toString()) as { id: string };
    const { code, log } = outcome[i]!;
    if (code === 0) valid.push(id);
    else rejected.push({ id, code, log });
  });
  return { valid, rejected };
}
