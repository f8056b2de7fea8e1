import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, makeBlockEvents, waitUntil } from '@blockcast/devkit';
import {
  AppendRefusedError,
  createRedisClient,
  MemoryLog,
  openEventLog,
  RedisStreamLog,
} from '@blockcast/event-log';
import { freePort, testRedis, uniquePrefix } from '../support/redis.js';
import { type ConformanceOptions, eventLogConformance } from './event-log-conformance.js';
import { chainOf, openRedisLog, redisSkip, streamNodeMaxEntries } from './redis-log-fixture.js';
import { appendAll, range } from './tail-recorder.js';

const redis: ConformanceOptions = {
  open: (options) => openRedisLog(options),
  approximateSlack: streamNodeMaxEntries,
  skip: redisSkip,
};

eventLogConformance('RedisStreamLog', redis);

describe('RedisStreamLog on a real Redis', { skip: redisSkip }, () => {
  test('stores height h as entry <h>-0 of <prefix>blocks with fields digest, block, epoch, prev and chain', async (t) => {
    const sut = await openRedisLog({ firstHeight: 7 });
    t.after(() => sut.cleanup());
    const block = makeBlockEvent(7, 2);
    const { epoch } = await sut.log.append(block);
    assert.equal(sut.log.key, `${sut.prefix}blocks`);
    assert.equal(sut.log.epochKey, `${sut.prefix}epoch`);
    assert.equal(await sut.admin.get(`${sut.prefix}epoch`), epoch);
    const entries = await sut.admin.xrange(`${sut.prefix}blocks`, '-', '+');
    assert.deepEqual(entries, [
      [
        '7-0',
        [
          'digest',
          block.digest,
          'block',
          JSON.stringify(block),
          'epoch',
          epoch,
          'prev',
          '',
          'chain',
          chainOf('', '7-0', block.digest),
        ],
      ],
    ]);
  });

  test('100 concurrent appends of one block on an empty stream leave XLEN 1', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const block = makeBlockEvent(1, 1);
    const results = await Promise.all(range(0, 100).map(() => sut.log.append(block)));
    assert.equal(await sut.admin.xlen(sut.log.key), 1);
    assert.equal(results.filter((result) => result.status === 'appended').length, 1);
  });

  test('a refused gap or conflict leaves XLEN and every entry unchanged', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    await appendAll(sut.log, makeBlockEvents(1, 3));
    const before = await sut.admin.xrange(sut.log.key, '-', '+');
    await assert.rejects(sut.log.append(makeBlockEvent(9, 1)), AppendRefusedError);
    await assert.rejects(sut.log.append(makeBlockEvent(3, 1)), AppendRefusedError);
    assert.equal(await sut.admin.xlen(sut.log.key), 3);
    assert.deepEqual(await sut.admin.xrange(sut.log.key, '-', '+'), before);
  });

  test('a stream emptied by hand keeps its height: only the height after the last one is accepted', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    await appendAll(sut.log, makeBlockEvents(1, 5));
    await sut.admin.xtrim(sut.log.key, 'MAXLEN', 0);
    assert.equal(await sut.log.bounds(), null);
    await assert.rejects(sut.log.append(makeBlockEvent(1, 1)), {
      code: 'HEIGHT_BEYOND_RETENTION',
      expectedHeight: 6,
    });
    await assert.rejects(sut.log.append(makeBlockEvent(9, 1)), { code: 'HEIGHT_GAP', expectedHeight: 6 });
    assert.deepEqual(await sut.log.append(makeBlockEvent(6, 1)), {
      status: 'appended',
      height: 6,
      epoch: await sut.log.epoch(),
    });
    assert.deepEqual(await sut.log.bounds(), { first: 6, last: 6 });
  });

  test('append reloads its script when Redis has lost it (restart, failover)', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 1));
    await sut.admin.script('FLUSH');
    assert.deepEqual(await sut.log.append(makeBlockEvent(2, 1)), {
      status: 'appended',
      height: 2,
      epoch: await sut.log.epoch(),
    });
  });

  test('ping answers false within its timeout when Redis does not answer', async (t) => {
    const redis = createRedisClient({ kind: 'url', url: `redis://127.0.0.1:${await freePort()}` });
    redis.on('error', () => {});
    t.after(() => redis.disconnect());
    const log = new RedisStreamLog({ redis, pingTimeoutMs: 200 });
    const started = performance.now();
    assert.equal(await log.ping(), false);
    assert.ok(performance.now() - started < 1000);
  });

  test('openEventLog gives a RedisStreamLog that closes the client it created', async (t) => {
    const redis = await testRedis();
    const prefix = uniquePrefix('open');
    const connectionName = `${prefix}client`;
    const log = openEventLog({
      redis: { kind: 'url', url: redis!.url },
      prefix,
      redisOptions: { connectionName },
    });
    const admin = createRedisClient({ kind: 'url', url: redis!.url });
    t.after(async () => {
      await admin.del(`${prefix}blocks`);
      await admin.quit();
    });
    assert.ok(log instanceof RedisStreamLog);
    await log.append(makeBlockEvent(1, 0));
    assert.equal(await admin.xlen(`${prefix}blocks`), 1);
    const named = async () => ((await admin.client('LIST')) as string).includes(`name=${connectionName} `);
    assert.ok(await named());
    await log.close();
    await waitUntil(async () => !(await named()), 2000, 'the owned client closed');
  });

  test('openEventLog without a Redis target gives a MemoryLog', async () => {
    const log = openEventLog({ retainBlocks: 10 });
    assert.ok(log instanceof MemoryLog);
    await log.close();
  });
});
