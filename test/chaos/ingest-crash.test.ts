/**
 * Ingest processes on a real Redis (issue 9's chaos): one killed with SIGKILL after its append
 * ran and before it answered, then the block resent 100 times; two replicas racing on the same
 * blocks. Every height is stored once, and no answer is a conflict.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  freePort,
  makeBlock,
  type ServiceProcess,
  startService,
  uniquePrefix,
  waitUntil,
} from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { range } from '../event-log/tail-recorder.js';
import { JSON_WITH_TOKEN, redisSkip, TOKEN } from '../ingest/ingest-harness.js';
import { testRedis } from '../support/redis.js';
import { ReplyHoldingProxy } from '../support/reply-holding-proxy.js';

interface IngestProcess {
  process: ServiceProcess;
  post(block: CommittedBlock): Promise<Response>;
}

async function startIngestProcess(t: TestContext, redisUrl: string, prefix: string): Promise<IngestProcess> {
  const [port, opsPort] = [await freePort(), await freePort()];
  const process = startService('ingest', {
    name: `ingest-${port}`,
    env: {
      REDIS_URL: redisUrl,
      BLOCKCAST_STREAM_PREFIX: prefix,
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(port),
      INGEST_OPS_PORT: String(opsPort),
      INGEST_TOKENS: TOKEN,
      LOG_LEVEL: 'warn',
    },
  });
  t.after(() => process.stop(2000));
  await process.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`, 30_000);
  return {
    process,
    post: (block) =>
      fetch(`http://127.0.0.1:${port}/api/v1/blocks`, {
        method: 'POST',
        headers: JSON_WITH_TOKEN,
        body: JSON.stringify(block),
      }),
  };
}

/** The test Redis, a key prefix of the test's own, and a client on it; the keys are deleted after. */
async function streamAdmin(t: TestContext, label: string) {
  const redis = (await testRedis())!;
  const admin = new Redis(redis.url);
  const prefix = uniquePrefix(label);
  t.after(async () => {
    await admin.del(`${prefix}blocks`, `${prefix}epoch`);
    admin.disconnect();
  });
  return { redis, admin, prefix };
}

async function storedHeights(admin: Redis, prefix: string): Promise<number[]> {
  return (await admin.xrange(`${prefix}blocks`, '-', '+')).map(([id]) => Number(id.split('-')[0]));
}

describe('ingest processes under faults', { skip: redisSkip, timeout: 120_000 }, () => {
  test('killed with SIGKILL after the append ran and before it answered, then the block resent 100 times: one entry', async (t) => {
    const { redis, admin, prefix } = await streamAdmin(t, 'crash');
    const proxy = await ReplyHoldingProxy.start(Number(new URL(redis.url).port));
    t.after(() => proxy.close());
    const first = await startIngestProcess(t, proxy.url, prefix);
    const chain = Array.from({ length: 3 }, (_, i) => makeBlock(i + 1, 3));
    for (const block of chain.slice(0, 2)) assert.equal((await first.post(block)).status, 201);

    proxy.holdReplies = true;
    const unanswered = first.post(chain[2]!);
    unanswered.catch(() => {});
    await waitUntil(
      async () => (await admin.xlen(`${prefix}blocks`)) === 3,
      10_000,
      'the append ran in Redis',
    );
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    await assert.rejects(unanswered, 'the sender never got an answer');
    proxy.holdReplies = false;

    const second = await startIngestProcess(t, proxy.url, prefix);
    const statuses = await Promise.all(range(0, 100).map(async () => (await second.post(chain[2]!)).status));
    assert.deepEqual(new Set(statuses), new Set([200]), 'every resend is a duplicate');
    assert.deepEqual(await storedHeights(admin, prefix), [1, 2, 3]);
  });

  test('two ingest replicas racing on the same blocks: every height once, every answer 201 or 200, one 201 per height', async (t) => {
    const { redis, admin, prefix } = await streamAdmin(t, 'race');
    const replicas = await Promise.all([
      startIngestProcess(t, redis.url, prefix),
      startIngestProcess(t, redis.url, prefix),
    ]);
    const chain = Array.from({ length: 60 }, (_, i) => makeBlock(i + 1, (i % 3) + 1));
    // Two senders, one per replica, each posting the whole chain in order, at the same time.
    const answers = await Promise.all(
      replicas.map(async (replica) => {
        const statuses: number[] = [];
        for (const block of chain) statuses.push((await replica.post(block)).status);
        return statuses;
      }),
    );
    for (const statuses of answers) {
      assert.ok(
        statuses.every((status) => status === 201 || status === 200),
        `only 201 and 200: ${statuses}`,
      );
    }
    for (const [i] of chain.entries()) {
      const created = answers.filter((statuses) => statuses[i] === 201).length;
      assert.equal(created, 1, `height ${i + 1} appended by exactly one replica`);
    }
    assert.deepEqual(await storedHeights(admin, prefix), range(1, 61));
  });
});
