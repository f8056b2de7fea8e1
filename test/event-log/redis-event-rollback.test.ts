/**
 * Rollbacks that lose only the last entries — generic events, or a block with other events after
 * it — and new entries written at the lost positions: every reader bound to the epoch notices
 * (tails, epoch-bound reads), the log starts one new epoch, and an idempotency key of a lost event
 * no longer answers for it. The stream key is restored with DUMP/RESTORE, the bytes an RDB holds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent } from '@blockcast/devkit';
import { type EmitRequest, LogResetError } from '@blockcast/event-log';
import { entryPosition, formatPosition, type LogEntry } from '@blockcast/protocol';
import { openRedisLog, type RedisLogUnderTest, redisSkip } from './redis-log-fixture.js';
import { startEntryTail, startTail } from './tail-recorder.js';

/** Long on purpose: a tail must not need a blocked read to time out to see the new entries. */
const BLOCK_MS = 30_000;
const SHORT_BLOCK_MS = 500;

const status = (message: string, idempotencyKey?: string): EmitRequest => ({
  type: 'NODE_STATUS',
  content: { node_id: 'n', status: 'up', message },
  emittedAt: Date.now(),
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

/** The stream as it is now, to put back later (the epoch key is kept as it is: a restore brings the same). */
async function snapshot(sut: RedisLogUnderTest): Promise<() => Promise<void>> {
  const dumped = await sut.admin.dumpBuffer(sut.log.key);
  assert.ok(dumped, 'the stream exists');
  return async () => {
    await sut.admin.restore(sut.log.key, 0, dumped, 'REPLACE');
  };
}

function positions(entries: readonly LogEntry[]): string[] {
  return entries.map((entry) => formatPosition(entryPosition(entry)));
}

function assertRollback(failure: unknown): asserts failure is LogResetError {
  assert.ok(failure instanceof LogResetError, `a LogResetError, got ${String(failure)}`);
  assert.equal(failure.kind, 'rollback');
}

describe('rollbacks that lose only the last entries (redis log)', { skip: redisSkip }, () => {
  test('events lost, then new ones at their positions: the entry tail ends with rollback at the first that does not follow, and one new epoch starts', async (t) => {
    const sut = await openRedisLog({ blockMs: BLOCK_MS });
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const before = await sut.log.epoch();
    const restore = await snapshot(sut);
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 0 } });
    t.after(() => tail.stop().catch(() => undefined));
    for (const message of ['a', 'b', 'c']) await sut.log.emit(status(message));
    await tail.received(4);

    await restore();
    // Another writer (this log would start the new epoch itself at the lost position): the tail must see it alone.
    const writer = await sut.peer();
    for (const message of ['w', 'x', 'y', 'z']) await writer.emit(status(message));
    const failure = await tail.failed(5000);
    assertRollback(failure);
    assert.deepEqual(positions(tail.items), ['1', '1-1', '1-2', '1-3'], 'nothing of the new history');
    assert.deepEqual(
      tail.items
        .slice(1)
        .map((entry) => ('content' in entry ? (entry.content as { message: string }).message : '')),
      ['a', 'b', 'c'],
    );
    const epoch = await sut.log.epoch();
    assert.notEqual(epoch, before);
    assert.equal(failure.epoch, epoch);
    assert.equal(failure.last, 1);
  });

  test('events lost and nothing written since: the entry tail ends with rollback within one block time', async (t) => {
    const sut = await openRedisLog({ blockMs: SHORT_BLOCK_MS });
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const restore = await snapshot(sut);
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 0 } });
    t.after(() => tail.stop().catch(() => undefined));
    for (const message of ['a', 'b']) await sut.log.emit(status(message));
    await tail.received(3);
    await restore();
    assertRollback(await tail.failed(SHORT_BLOCK_MS + 3000));
  });

  test('a block lost and another written at its height: a waiting blocks-only tail ends too', async (t) => {
    const sut = await openRedisLog({ blockMs: SHORT_BLOCK_MS });
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const restore = await snapshot(sut);
    await sut.log.append(makeBlockEvent(2, 1));
    const tail = startTail(sut.log, { after: 0 });
    t.after(() => tail.stop().catch(() => undefined));
    await tail.received(2);
    await restore();
    // Another block 2 (other transactions): the height is the same, the history is not.
    await sut.log.append(makeBlockEvent(2, 3));
    const failure = await tail.failed(SHORT_BLOCK_MS + 3000);
    assert.ok(failure instanceof LogResetError, `a LogResetError, got ${String(failure)}`);
    assert.deepEqual(
      tail.blocks.map((block) => block.transactions.length),
      [0, 1],
    );
  });

  test('the same block appended again after a rollback is the same history: no signal', async (t) => {
    const sut = await openRedisLog({ blockMs: BLOCK_MS });
    t.after(() => sut.cleanup());
    const blocks = [makeBlockEvent(1, 0), makeBlockEvent(2, 1), makeBlockEvent(3, 1)];
    await sut.log.append(blocks[0]!);
    const restore = await snapshot(sut);
    await sut.log.append(blocks[1]!);
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 0 } });
    t.after(() => tail.stop());
    await tail.received(2);
    await restore();
    await sut.log.append(blocks[1]!);
    await sut.log.append(blocks[2]!);
    await tail.received(3);
    assert.equal(tail.failure, undefined);
    assert.deepEqual(positions(tail.items), ['1', '2', '3']);
  });

  test('an epoch-bound read of the old epoch is refused once the log started a new one', async (t) => {
    const sut = await openRedisLog({ blockMs: BLOCK_MS });
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const before = (await sut.log.epoch())!;
    const restore = await snapshot(sut);
    const tail = startEntryTail(sut.log, { after: { height: 0, seq: 0 } });
    t.after(() => tail.stop().catch(() => undefined));
    await sut.log.emit(status('a'));
    await tail.received(2);
    assert.deepEqual(positions(await sut.log.readEntries({ height: 1, seq: 0 }, 10, before)), ['1-1']);
    await restore();
    const writer = await sut.peer();
    await writer.emit(status('b'));
    await writer.emit(status('c'));
    assertRollback(await tail.failed(5000));
    await assert.rejects(sut.log.readEntries({ height: 1, seq: 0 }, 10, before), (error) => {
      assert.ok(error instanceof LogResetError);
      assert.equal(error.epoch, tail.failure instanceof LogResetError ? tail.failure.epoch : undefined);
      return true;
    });
    const now = (await sut.log.epoch())!;
    assert.deepEqual(positions(await sut.log.readEntries({ height: 1, seq: 0 }, 10, now)), ['1-1', '1-2']);
  });

  test('a writer whose last entry a rollback lost starts one new epoch with its next write, with no reader running', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const other = await sut.peer();
    await other.append(makeBlockEvent(2, 0));
    const before = (await sut.log.epoch())!;
    const restore = await snapshot(sut);
    const lost = await sut.log.emit(status('lost'));
    assert.equal(lost.epoch, before);
    await restore();
    const next = await sut.log.emit(status('written where the lost one was'));
    assert.equal(formatPosition(entryPosition(next.event)), '2-1');
    assert.notEqual(next.epoch, before, 'the write that found its last entry gone started a new epoch');
    assert.equal(await sut.log.epoch(), next.epoch);
    // The other writer's last entry is still there: it goes on in the new epoch, starting none of its own.
    const block = await other.append(makeBlockEvent(3, 0));
    assert.equal(block.epoch, next.epoch);
    const again = await sut.log.append(makeBlockEvent(4, 0));
    assert.equal(again.epoch, next.epoch, 'one new epoch, not one per write');
  });

  test('an idempotency key of an event a rollback lost emits anew; one of a trimmed event still answers the original', async (t) => {
    const sut = await openRedisLog({ retainBlocks: 2, trim: 'exact' });
    t.after(() => sut.cleanup());
    await sut.log.append(makeBlockEvent(1, 0));
    const restore = await snapshot(sut);
    await sut.log.emit(status('first', 'key-same'));
    await sut.log.emit(status('first', 'key-other'));
    await restore();
    // Another writer, which never wrote what was lost: only the keys can tell.
    const other = await sut.peer();
    const same = await other.emit(status('first', 'key-same'));
    assert.deepEqual(
      [same.status, formatPosition(entryPosition(same.event))],
      ['appended', '1-1'],
      'the same body again is a new event, not a duplicate of one the log no longer holds',
    );
    const changed = await other.emit(status('another body', 'key-other'));
    assert.deepEqual(
      [changed.status, formatPosition(entryPosition(changed.event))],
      ['appended', '1-2'],
      'another body is no conflict with an event the log no longer holds',
    );

    const kept = await sut.log.emit(status('kept', 'key-trimmed'));
    for (const height of [2, 3, 4]) await sut.log.append(makeBlockEvent(height, 0));
    assert.deepEqual(
      (await sut.admin.xrange(sut.log.key, '-', '+')).map(([id]) => id),
      ['3-0', '4-0'],
      'block 1 and its events were trimmed',
    );
    const retry = await sut.log.emit(status('kept', 'key-trimmed'));
    assert.deepEqual([retry.status, retry.event], ['duplicate', kept.event]);
  });
});
