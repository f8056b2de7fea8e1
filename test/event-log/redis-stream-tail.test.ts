/** What a Redis tail does when its connection is taken away (architecture §4: resume from the last ID). */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { makeBlockEvents, waitUntil } from '@blockcast/devkit';
import { clientIds, openRedisLog, redisSkip } from './redis-log-fixture.js';
import { heightsOf, range, startTail, tagged } from './tail-recorder.js';

describe('a Redis tail across connection loss', { skip: redisSkip }, () => {
  test('survives repeated CLIENT KILL of its connection and delivers every block exactly once', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 150);
    const tail = startTail(sut.log, { after: 0, batchSize: 7 });
    t.after(() => tail.stop());
    let kills = 0;
    for (const [i, block] of blocks.entries()) {
      await sut.log.append(block);
      if (i % 20 === 10) {
        // Wait for the reconnected tail, so every round really kills a live connection.
        await waitUntil(
          async () => (await clientIds(sut.admin, sut.tailClientName)).length > 0,
          5000,
          'tail connected',
        );
        for (const id of await clientIds(sut.admin, sut.tailClientName)) {
          kills += Number(await sut.admin.client('KILL', 'ID', id));
        }
      }
      if (i % 3 === 0) await delay(2);
    }
    await tail.received(blocks.length, 10_000);
    const settled = await tail.settled();
    assert.ok(kills >= 7, `killed the tail connection ${kills} times`);
    assert.deepEqual(heightsOf(settled), range(1, 151));
    assert.deepEqual(settled, tagged(blocks));
  });

  test('a killed idle tail resumes and delivers the blocks appended while it was down', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 10);
    const tail = startTail(sut.log, { after: 'latest' });
    t.after(() => tail.stop());
    await waitUntil(
      async () => (await clientIds(sut.admin, sut.tailClientName)).length === 1,
      5000,
      'tail connected',
    );
    const [id] = await clientIds(sut.admin, sut.tailClientName);
    assert.equal(await sut.admin.client('KILL', 'ID', id!), 1);
    for (const block of blocks) await sut.log.append(block);
    await tail.received(10);
    const settled = await tail.settled();
    assert.deepEqual(heightsOf(settled), range(1, 11));
  });

  test('an XREAD failing with an error is reported, and the tail resumes on a new connection exactly once', async (t) => {
    const errors: unknown[] = [];
    const sut = await openRedisLog({ onTailError: (error) => errors.push(error) });
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 40);
    const tail = startTail(sut.log, { after: 0, batchSize: 5 });
    t.after(() => tail.stop());
    let unblocked = 0;
    for (const [i, block] of blocks.entries()) {
      if (i % 10 === 5) {
        await tail.received(i);
        // The tail is now blocked in XREAD; UNBLOCK … ERROR makes that XREAD fail with -UNBLOCKED.
        await waitUntil(
          async () => (await clientIds(sut.admin, sut.tailClientName)).length === 1,
          5000,
          'tail',
        );
        const [id] = await clientIds(sut.admin, sut.tailClientName);
        await waitUntil(
          async () => (await sut.admin.client('UNBLOCK', id!, 'ERROR')) === 1,
          5000,
          'tail blocked in XREAD',
        );
        unblocked++;
      }
      await sut.log.append(block);
    }
    await tail.received(blocks.length);
    const settled = await tail.settled();
    assert.equal(unblocked, 4);
    assert.ok(errors.length >= unblocked, `${errors.length} errors reported`);
    assert.match(String(errors[0]), /UNBLOCKED/);
    assert.deepEqual(heightsOf(settled), range(1, 41));
  });

  test('each tail has its own named connection, closed when the tail ends', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const tails = [startTail(sut.log, { after: 0 }), startTail(sut.log, { after: 0 })];
    await waitUntil(
      async () => (await clientIds(sut.admin, sut.tailClientName)).length === 2,
      5000,
      'two tails',
    );
    await Promise.all(tails.map((tail) => tail.stop()));
    await waitUntil(
      async () => (await clientIds(sut.admin, sut.tailClientName)).length === 0,
      2000,
      'closed',
    );
  });
});
