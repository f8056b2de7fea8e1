/**
 * The stream epoch on a real Redis: a tail that finds the history under it recreated (FLUSHALL,
 * DEL) or rolled back (a restart from an older RDB) ends with LogResetError instead of reading a
 * silent gap or repeat, and an ordinary reconnect does not.
 */

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { makeBlockEvents, startRedisServer, waitUntil } from '@blockcast/devkit';
import { LogResetError, RedisStreamLog } from '@blockcast/event-log';
import { Redis } from 'ioredis';
import { uniquePrefix } from '../support/redis.js';
import { redisServerOrSkip } from '../support/test-dependencies.js';
import { blockedInXread, openRedisLog, redisSkip, xreadsFinished } from './redis-log-fixture.js';
import { appendAll, heightsOf, range, startTail, tagged } from './tail-recorder.js';

const BLOCK_MS = 1000;
/** Detection is bounded by one XREAD block; this covers scheduling and a reconnect's backoff. */
const DETECTION_SLACK_MS = 2500;

/** FLUSHALL and restarts need a server of its own. */
const ownServerSkip = redisServerOrSkip().skip ?? false;

/** A RedisStreamLog on `url` with clients of its own, closed after the test. */
function logOn(t: TestContext, url: string, prefix: string): { log: RedisStreamLog; admin: Redis } {
  const redis = new Redis(url);
  const admin = new Redis(url);
  for (const client of [redis, admin]) client.on('error', () => {});
  const log = new RedisStreamLog({ redis, prefix, blockMs: BLOCK_MS });
  t.after(async () => {
    await log.close();
    redis.disconnect();
    admin.disconnect();
  });
  return { log, admin };
}

function assertReset(failure: unknown, kind: 'reset' | 'rollback'): asserts failure is LogResetError {
  assert.ok(failure instanceof LogResetError, `a LogResetError, got ${String(failure)}`);
  assert.equal(failure.kind, kind);
}

describe('the stream epoch on a real Redis', { skip: redisSkip || ownServerSkip }, () => {
  test('after FLUSHALL and a chain starting again at 1, a waiting tail ends with reset and the new epoch within one block time', async (t) => {
    const server = await startRedisServer();
    t.after(() => server.stop());
    const { log, admin } = logOn(t, server.url, uniquePrefix('flush'));
    const { epoch: before } = await log.append(makeBlockEvents(1, 1)[0]!);
    await appendAll(log, makeBlockEvents(2, 4));
    const tail = startTail(log, { after: 0 });
    await tail.received(5);
    // The tail blocks in an XREAD from 5, which a new stream at 1, 2, 3 never wakes.
    await blockedInXread(admin);
    await admin.flushall();
    const started = performance.now();
    await appendAll(log, makeBlockEvents(1, 3));
    const after = await log.epoch();
    assert.notEqual(after, null);
    assert.notEqual(after, before);
    const failure = await tail.failed(BLOCK_MS + DETECTION_SLACK_MS);
    assert.ok(performance.now() - started < BLOCK_MS + DETECTION_SLACK_MS);
    assertReset(failure, 'reset');
    assert.equal(failure.epoch, after);
    assert.equal(failure.last, 3);
    assert.deepEqual(
      heightsOf(tail.blocks),
      [1, 2, 3, 4, 5],
      'nothing of the new chain under the old cursor',
    );
  });

  test('DEL of the stream key alone ends a waiting tail and the next append starts a new epoch', async (t) => {
    const sut = await openRedisLog({ blockMs: 300 });
    t.after(() => sut.cleanup());
    await appendAll(sut.log, makeBlockEvents(1, 3));
    const before = await sut.log.epoch();
    const tail = startTail(sut.log, { after: 'latest' });
    await blockedInXread(sut.admin);
    await sut.admin.del(sut.log.key);
    assert.equal(await sut.log.epoch(), null, 'a stream that is gone has no epoch');
    const failure = await tail.failed(300 + DETECTION_SLACK_MS);
    assertReset(failure, 'reset');
    assert.deepEqual([failure.epoch, failure.last], [null, null]);
    const { epoch } = await sut.log.append(makeBlockEvents(1, 1)[0]!);
    assert.notEqual(epoch, before);
    assert.equal(await sut.admin.get(sut.log.epochKey), epoch);
  });

  test('deleting the epoch key alone changes nothing: the stream keeps its epoch from its entries', async (t) => {
    const sut = await openRedisLog({ blockMs: 300 });
    t.after(() => sut.cleanup());
    const { epoch } = await sut.log.append(makeBlockEvents(1, 1)[0]!);
    const tail = startTail(sut.log, { after: 0 });
    t.after(() => tail.stop());
    await tail.received(1);
    await sut.admin.del(sut.log.epochKey);
    assert.equal(await sut.log.epoch(), epoch);
    await xreadsFinished(sut.admin, 2);
    assert.equal((await sut.log.append(makeBlockEvents(2, 1)[0]!)).epoch, epoch);
    assert.equal(await sut.admin.get(sut.log.epochKey), epoch);
    await tail.received(2);
    assert.equal(tail.failure, undefined);
  });

  test('a Redis restarted from an older RDB: tails end with rollback, the log starts one new epoch, later appends carry it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'blockcast-rollback-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let server = await startRedisServer({ dir });
    t.after(() => server.stop());
    const prefix = uniquePrefix('rollback');
    const writer = logOn(t, server.url, prefix);
    const reader = logOn(t, server.url, prefix);
    const blocks = makeBlockEvents(1, 20);
    await appendAll(writer.log, blocks.slice(0, 10));
    const before = await writer.log.epoch();
    await writer.admin.save();
    copyFileSync(join(dir, 'dump.rdb'), join(dir, 'older.rdb'));
    await appendAll(writer.log, blocks.slice(10));
    const tails = [startTail(writer.log, { after: 0 }), startTail(reader.log, { after: 0 })];
    for (const tail of tails) await tail.received(20);

    // Stopped without saving (--save ''), then started on the older snapshot: heights 11–20 are gone.
    await server.stop();
    copyFileSync(join(dir, 'older.rdb'), join(dir, 'dump.rdb'));
    server = await startRedisServer({ dir, port: server.port });

    const failures = await Promise.all(tails.map((tail) => tail.failed(BLOCK_MS + 2 * DETECTION_SLACK_MS)));
    const resets = failures.filter((failure) => failure instanceof LogResetError);
    assert.equal(resets.length, 2, `both tails end with LogResetError, got ${failures.map(String)}`);
    assert.ok(
      resets.some((reset) => reset.kind === 'rollback'),
      'the first tail to notice reports a rollback',
    );
    const epoch = resets[0]?.epoch ?? null;
    assert.notEqual(epoch, null);
    assert.notEqual(epoch, before);
    assert.deepEqual(
      resets.map((reset) => [reset.epoch, reset.last]),
      [
        [epoch, 10],
        [epoch, 10],
      ],
      'every reader agrees on the one new epoch',
    );
    assert.equal(await writer.log.epoch(), epoch);

    const again = await writer.log.append(blocks[10]!);
    assert.deepEqual(again, { status: 'appended', height: 11, epoch });
    // A tail of the new epoch reads the kept heights (appended under the old one) and the new ones.
    const fresh = startTail(reader.log, { after: 0, epoch: epoch ?? undefined });
    t.after(() => fresh.stop());
    await fresh.received(11);
    await xreadsFinished(reader.admin, 2);
    assert.equal(fresh.failure, undefined);
    assert.deepEqual(fresh.blocks, tagged(blocks.slice(0, 11)));
  });

  test('an ordinary Redis restart with its data does not end a tail, and the epoch stays', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'blockcast-restart-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let server = await startRedisServer({ dir });
    t.after(() => server.stop());
    const { log, admin } = logOn(t, server.url, uniquePrefix('restart'));
    const blocks = makeBlockEvents(1, 10);
    await appendAll(log, blocks.slice(0, 5));
    const epoch = await log.epoch();
    const tail = startTail(log, { after: 0 });
    t.after(() => tail.stop());
    await tail.received(5);
    await admin.save();
    await server.stop();
    server = await startRedisServer({ dir, port: server.port });
    await waitUntil(() => log.ping(), 5000, 'the log reconnected');
    await appendAll(log, blocks.slice(5));
    await tail.received(10, BLOCK_MS + DETECTION_SLACK_MS);
    await xreadsFinished(admin, 2);
    assert.equal(tail.failure, undefined);
    assert.deepEqual(heightsOf(tail.blocks), range(1, 11));
    assert.equal(await log.epoch(), epoch);
  });
});
