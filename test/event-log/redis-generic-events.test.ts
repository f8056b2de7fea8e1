/** Generic events as the Redis stream holds them, and what happens to them when the stream is disturbed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, waitUntil } from '@blockcast/devkit';
import { type EmitRequest, LogResetError } from '@blockcast/event-log';
import { formatPosition } from '@blockcast/protocol';
import { chainOf, clientIds, openRedisLog, redisSkip, sha1 } from './redis-log-fixture.js';
import { range, startEntryTail } from './tail-recorder.js';

const status = (message: string): EmitRequest => ({
  type: 'NODE_STATUS',
  content: { node_id: 'n', status: 'up', message },
  emittedAt: 1_700_000_000_000,
});

describe('generic events on a real Redis', { skip: redisSkip }, () => {
  test('an event is entry <height>-<seq> with fields event (the GenericEvent as JSON), epoch, and the chain after the block', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const block = makeBlockEvent(1, 0);
    const { epoch } = await sut.log.append(block);
    const { event } = await sut.log.emit({ ...status('hello'), idempotencyKey: 'abc' });
    const [, stored] = await sut.admin.xrange(sut.log.key, '-', '+');
    const blockChain = chainOf('', '1-0', block.digest);
    // The tag is the reader's: the stored JSON is the GenericEvent's fields alone.
    const { kind: _kind, ...fields } = event;
    const json = JSON.stringify(fields);
    assert.deepEqual(stored, [
      '1-1',
      ['event', json, 'epoch', epoch, 'prev', blockChain, 'chain', chainOf(blockChain, '1-1', sha1(json))],
    ]);
    assert.deepEqual(JSON.parse(stored[1][1]!), {
      type: 'NODE_STATUS',
      height: 1,
      seq: 1,
      content: { node_id: 'n', status: 'up', message: 'hello' },
      emittedAt: 1_700_000_000_000,
    });
    const remembered = `${sut.prefix}emitted:abc`;
    assert.deepEqual(await sut.admin.hget(remembered, 'id'), '1-1');
    const ttl = await sut.admin.pttl(remembered);
    assert.ok(ttl > 0 && ttl <= 24 * 3600 * 1000, `a TTL of at most the window, got ${ttl}`);
  });

  test('a recreated stream (DEL) gets a new epoch on the next emit, and an idempotency key of the old history emits anew', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const first = await sut.log.emit({ ...status('x'), idempotencyKey: 'k' });
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 1 }, epoch: first.epoch });
    t.after(() => tail.stop().catch(() => {}));
    await sut.admin.del(sut.log.key);
    const again = await sut.log.emit({ ...status('x'), idempotencyKey: 'k' });
    assert.equal(again.status, 'appended', 'the original is not in this history');
    assert.notEqual(again.epoch, first.epoch);
    assert.equal(await sut.log.epoch(), again.epoch);
    const failure = await tail.failed(10_000);
    assert.ok(
      failure instanceof LogResetError,
      `the old tail ends with LogResetError, got ${String(failure)}`,
    );
  });

  test('a stream emptied by hand keeps its last ID: events continue after it, never below', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    await sut.log.emit(status('a'));
    await sut.admin.xtrim(sut.log.key, 'MAXLEN', 0);
    assert.equal(formatPosition((await sut.log.emit(status('b'))).event), '1-2');
    assert.equal((await sut.log.append(makeBlockEvent(2, 0))).status, 'appended');
  });

  test('an entries tail survives CLIENT KILL of its connection: every block and event once, in order', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 0 }, batchSize: 3 });
    t.after(() => tail.stop());
    const written: string[] = [];
    for (const height of range(1, 21)) {
      await sut.log.append(makeBlockEvent(height, 0));
      written.push(String(height));
      for (const i of range(0, 3)) written.push(formatPosition((await sut.log.emit(status(`${i}`))).event));
      if (height % 5 === 0) {
        // Wait for the reconnected tail, so every round really kills a live connection.
        await waitUntil(
          async () => (await clientIds(sut.admin, sut.tailClientName)).length > 0,
          5000,
          'a tail',
        );
        for (const id of await clientIds(sut.admin, sut.tailClientName))
          await sut.admin.client('KILL', 'ID', id);
      }
    }
    await tail.received(written.length, 10_000);
    const settled = await tail.settled();
    const seen = settled.map((entry) =>
      formatPosition({ height: entry.height, seq: entry.kind === 'event' ? entry.seq : 0 }),
    );
    assert.deepEqual(seen, written);
  });
});
