/**
 * Ingest and a tail through Debian's redis-sentinel: one master, one replica, three Sentinels.
 * A failover is followed by both; a height lost in the asynchronous replication window is
 * re-appended by the sender and stored once, and a tail that had read it is told (rollback).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisTarget } from '@blockcast/common';
import { makeBlock, type SentinelTopology, startSentinelTopology, waitUntil } from '@blockcast/devkit';
import { LogResetError, openEventLog } from '@blockcast/event-log';
import type { CommittedBlock } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { heightsOf, range, readBlocks, startTail } from '../event-log/tail-recorder.js';
import { type IngestHarness, redisSkip, startIngest } from '../ingest/ingest-harness.js';

const sentinelSkip =
  spawnSync('redis-server', ['--version']).status === 0 ? false : 'needs redis-server (with --sentinel)';

/** Stopped after everything the test registered before this call (after hooks run in order). */
function stopLast(t: TestContext, sentinels: SentinelTopology): void {
  t.after(() => sentinels.stop());
}

function targetOf(sentinels: SentinelTopology): RedisTarget {
  return { kind: 'sentinel', sentinels: sentinels.sentinels, masterName: sentinels.masterName };
}

function sentinelEnv(sentinels: SentinelTopology): Record<string, string> {
  return {
    REDIS_SENTINELS: sentinels.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
    REDIS_SENTINEL_MASTER: sentinels.masterName,
    REDIS_COMMAND_TIMEOUT_MS: '1000',
  };
}

/** Posts like a node does: a 503 is resent, a gap sends the expected height first; answers 201 or 200 at the end. */
async function send(
  ingest: IngestHarness,
  chain: CommittedBlock[],
  height: number,
  deadlineMs = 20_000,
): Promise<number[]> {
  const statuses: number[] = [];
  const deadline = Date.now() + deadlineMs;
  let next = height;
  while (next <= height) {
    if (Date.now() > deadline)
      throw new Error(`block ${height} not accepted within ${deadlineMs} ms: ${statuses}`);
    const response = await ingest.post(chain[next - 1]!);
    if (response.statusCode === 503) {
      await delay(100);
      continue;
    }
    if (response.statusCode === 409 && response.json().code === 'HEIGHT_GAP') {
      next = response.json().expected_height as number;
      continue;
    }
    assert.ok(
      [200, 201].includes(response.statusCode),
      `block ${next}: ${response.statusCode} ${response.body}`,
    );
    if (next === height) statuses.push(response.statusCode);
    else statuses.push(-response.statusCode);
    next++;
  }
  return statuses;
}

/** A topology, an ingest and a reading log on it, and the 30 blocks of the chain. */
async function throughSentinel(t: TestContext) {
  const sentinels = await startSentinelTopology();
  const ingest = await startIngest(t, sentinelEnv(sentinels));
  const prefix = ingest.key.slice(0, -'blocks'.length);
  const reader = openEventLog({ redis: targetOf(sentinels), prefix, onRedisError: () => {} });
  t.after(() => reader.close());
  const chain = Array.from({ length: 30 }, (_, i) => makeBlock(i + 1, 2));
  return { sentinels, ingest, reader, chain };
}

describe(
  'ingest and tails through Redis Sentinel',
  { skip: redisSkip || sentinelSkip, timeout: 120_000 },
  () => {
    test('appends go through Sentinel; after SENTINEL FAILOVER ingest follows the new master and the tail resumes from its last ID, every height once', async (t) => {
      const { sentinels, ingest, reader, chain } = await throughSentinel(t);
      const tail = startTail(reader, { after: 0 });
      t.after(() => tail.stop().catch(() => {}));
      stopLast(t, sentinels);
      for (let height = 1; height <= 15; height++) await send(ingest, chain, height);
      await tail.received(15);

      const before = await sentinels.master();
      const after = await sentinels.failover();
      assert.notEqual(after.port, before.port);
      for (let height = 16; height <= 30; height++) await send(ingest, chain, height);

      await tail.received(30, 20_000);
      const stored = (await ingest.inspector.xrange(ingest.key, '-', '+')).map(([id]) => id);
      assert.deepEqual(
        stored,
        range(1, 31).map((height) => `${height}-0`),
        'on the new master, each height once',
      );
      const settled = await tail.settled();
      assert.equal(tail.failure, undefined, 'no reset or rollback: nothing was lost');
      assert.deepEqual(heightsOf(settled), range(1, 31));
    });

    test('heights lost in the replication window are re-appended by the sender once; the tail that read them is told', async (t) => {
      const { sentinels, ingest, reader, chain } = await throughSentinel(t);
      for (let height = 1; height <= 20; height++) await send(ingest, chain, height);
      const tail = startTail(reader, { after: 0 });
      t.after(() => tail.stop().catch(() => {}));
      stopLast(t, sentinels);
      await tail.received(20);

      const master = await sentinels.master();
      const replica = sentinels.nodes.find((node) => node !== master)!;
      // The replica stops and its replication link is cut (else the kernel would still buffer what
      // the master sends it); 21..25 reach only the master, then the master stops too and the
      // Sentinels promote the replica, which never got them.
      process.kill(replica.pid, 'SIGSTOP');
      const direct = new Redis({ port: master.port, host: '127.0.0.1' });
      assert.ok(Number(await direct.client('KILL', 'TYPE', 'replica')) >= 1, 'the replication link cut');
      direct.disconnect();
      for (let height = 21; height <= 25; height++)
        assert.deepEqual(await send(ingest, chain, height), [201]);
      await tail.received(25);
      process.kill(master.pid, 'SIGSTOP');
      process.kill(replica.pid, 'SIGCONT');
      await waitUntil(
        async () => (await sentinels.master().catch(() => master)) === replica,
        30_000,
        'the replica promoted',
        200,
      );
      process.kill(master.pid, 'SIGCONT');

      const failure = await tail.failed(30_000);
      assert.ok(failure instanceof LogResetError, `the tail is told, got ${String(failure)}`);
      assert.equal(failure.kind, 'rollback');
      assert.equal(failure.last, 20);

      // The sender's next block finds the gap and re-sends 21..25 (201 each), then 26..30.
      const resent = await send(ingest, chain, 26);
      assert.deepEqual(resent, [-201, -201, -201, -201, -201, 201]);
      for (let height = 27; height <= 30; height++) await send(ingest, chain, height);
      const stored = (await ingest.inspector.xrange(ingest.key, '-', '+')).map(([id]) => id);
      assert.deepEqual(
        stored,
        range(1, 31).map((height) => `${height}-0`),
        'every height once',
      );
      const fresh = startTail(reader, { after: 0, epoch: failure.epoch ?? undefined });
      t.after(() => fresh.stop());
      await fresh.received(30, 10_000);
      assert.deepEqual(
        fresh.blocks.map((block) => block.digest),
        (await readBlocks(reader, 1, 100)).map((block) => block.digest),
      );
      assert.deepEqual(heightsOf(fresh.blocks), range(1, 31));
    });
  },
);
