/**
 * Redis restored from a snapshot that lacks only the last generic events — the common loss of an
 * RDB or AOF `everysec` crash — is a change of history like a block rollback: new events written
 * at the lost positions must never be served under the old epoch. Clients get 4011, the old
 * epoch is refused, and the new history is served under a new one.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { startRedisServer, uniquePrefix, waitUntil } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { CloseCode } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { redisSkip, startGateway } from '../support/gateway-harness.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const BLOCK_MS = 300;

/** A redis-server of this test's own, which it kills and starts again from an older RDB file. */
async function restorableRedis(t: TestContext) {
  let server = await startRedisServer();
  const { port, dir } = server;
  t.after(() => server.stop());
  const admin = new Redis(server.url, { lazyConnect: true });
  t.after(() => admin.disconnect());
  const snapshot = join(dir, 'snapshot.rdb');
  return {
    url: server.url,
    /** SAVE now, and keep the file aside. */
    async snapshot() {
      await admin.save();
      copyFileSync(join(dir, 'dump.rdb'), snapshot);
    },
    /** Kill -9, put the snapshot back, start again on the same port and dir. */
    async restore() {
      process.kill(server.pid, 'SIGKILL');
      await waitUntil(
        () => {
          try {
            process.kill(server.pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        5000,
        'redis-server gone',
      );
      copyFileSync(snapshot, join(dir, 'dump.rdb'));
      server = await startRedisServer({ port, dir });
    },
  };
}

test(
  'Redis restored without the last events: new events at their positions are a new history (4011, old epoch refused)',
  { skip: redisSkip, timeout: 60_000 },
  async (t) => {
    const redis = await restorableRedis(t);
    // Redis is down for a moment on purpose: the log reconnects by itself.
    const client = new Redis(redis.url).on('error', () => {});
    const log = new RedisStreamLog({
      redis: client,
      ownsClient: true,
      prefix: uniquePrefix('event-rollback'),
      blockMs: BLOCK_MS,
    });
    t.after(() => log.close());
    const gateway = await startGateway(t, { eventLog: log });
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 5 }, () => ledger.nextBlock(1)));
    await waitUntil(() => gateway.app.height === 5, 5000, 'published');
    const epoch = gateway.app.epoch!;
    await redis.snapshot();

    const live = await RecordingClient.connect(gateway.stream(`events?epoch=${epoch}`));
    for (let i = 1; i <= 3; i += 1) await gateway.emit('NODE_STATUS', { history: 'old', i });
    await live.waitForFrames(3);
    assert.deepEqual(
      live.frames.map((frame) => JSON.parse(frame).seq),
      [1, 2, 3],
    );

    await redis.restore();
    await waitUntil(() => log.ping(), 10_000, 'Redis answers again');
    const emitted = [];
    for (let i = 1; i <= 4; i += 1) emitted.push(await gateway.emit('NODE_STATUS', { history: 'new', i }));
    assert.deepEqual(
      emitted.map((event) => `${event.height}-${event.seq}`),
      ['5-1', '5-2', '5-3', '5-4'],
      'the restored log gave the lost positions again',
    );

    const closed = await Promise.race([
      live.closed,
      delay(10_000).then(() => ({ code: 0, reason: 'still open 10 s after the new events' })),
    ]);
    assert.equal(closed.code, CloseCode.RESET, `closed with 4011, got ${closed.code} ${closed.reason}`);
    assert.deepEqual(
      live.frames.map((frame) => JSON.parse(frame).content.history),
      ['old', 'old', 'old'],
      'nothing of the new history was sent under the old epoch',
    );
    await waitUntil(() => gateway.app.epoch !== epoch, 5000, 'the gateway follows a new epoch');
    const current = gateway.app.epoch!;
    assert.equal(await log.epoch(), current, 'the log itself started the new epoch');

    const stale = await refusedUpgrade(gateway.stream(`events?since=5&epoch=${epoch}`));
    assert.deepEqual([stale.status, stale.body.code, stale.body.epoch], [409, 'EPOCH_MISMATCH', current]);
    const resumed = await RecordingClient.connect(gateway.stream(`events?since=5&epoch=${current}`));
    await resumed.waitForFrames(4);
    assert.deepEqual(
      resumed.frames.map((frame) => JSON.parse(frame).content),
      emitted.map((event) => event.content),
      'the new history, whole, under the new epoch',
    );
    await resumed.close();
  },
);
