/** RedisConsumerGroup: at-least-once, one entry at a time, pending entries first after a restart. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, makeBlockEvents, waitUntil } from '@blockcast/devkit';
import {
  type EmitRequest,
  type GroupDelivery,
  type HistoryGap,
  type HistoryReset,
  RedisConsumerGroup,
} from '@blockcast/event-log';
import type { LogEntry } from '@blockcast/protocol';
import { openRedisLog, redisSkip } from './redis-log-fixture.js';
import { tagged } from './tail-recorder.js';

type LogUnderTest = Awaited<ReturnType<typeof openRedisLog>>;

function status(message: string): EmitRequest {
  return { type: 'NODE_STATUS', content: { node_id: 'n', status: 'up', message }, emittedAt: 1 };
}

/** Group 'g', consumer 'c' on the log's stream, created. */
async function openGroup(
  sut: LogUnderTest,
  options: Partial<ConstructorParameters<typeof RedisConsumerGroup>[0]> = {},
): Promise<RedisConsumerGroup> {
  const group = new RedisConsumerGroup({
    redis: sut.admin,
    prefix: sut.prefix,
    group: 'g',
    consumer: 'c',
    ...options,
  });
  await group.create();
  return group;
}

async function take(group: RedisConsumerGroup, count: number, ack: boolean): Promise<GroupDelivery[]> {
  const controller = new AbortController();
  const taken: GroupDelivery[] = [];
  for await (const delivery of group.deliveries(controller.signal)) {
    taken.push(delivery);
    if (ack) await delivery.ack();
    if (taken.length === count) break;
  }
  return taken;
}

/**
 * A group from the first entry, telling resets to `resets`, whose entries are read and acknowledged
 * in the background, once it took `blocks` blocks appended by the log.
 */
async function groupThatTook(
  t: { after(fn: () => unknown): void },
  sut: LogUnderTest,
  blockMs: number,
  blocks: number,
): Promise<{ group: RedisConsumerGroup; resets: HistoryReset[]; entries: LogEntry[] }> {
  const resets: HistoryReset[] = [];
  const group = await openGroup(sut, {
    start: 'first',
    blockMs,
    onReset: (reset) => void resets.push(reset),
  });
  const entries = readAll(t, group);
  for (const block of makeBlockEvents(1, blocks)) await sut.log.append(block);
  await waitUntil(
    async () => entries.length === blocks && (await group.pendingCount()) === 0,
    5000,
    `${blocks} taken`,
  );
  return { group, resets, entries };
}

/** Reads and acknowledges every entry in the background until the test ends. */
function readAll(t: { after(fn: () => unknown): void }, group: RedisConsumerGroup): LogEntry[] {
  const controller = new AbortController();
  const entries: LogEntry[] = [];
  const reading = (async () => {
    for await (const delivery of group.deliveries(controller.signal)) {
      entries.push(delivery.entry);
      await delivery.ack();
    }
  })();
  t.after(async () => {
    controller.abort();
    await reading;
  });
  return entries;
}

const heightsOf = (entries: LogEntry[]) => entries.map((entry) => entry.height);

describe('RedisConsumerGroup', { skip: redisSkip }, () => {
  test('a new group at "first" delivers every retained block in order', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 5);
    for (const block of blocks) await sut.log.append(block);
    const group = await openGroup(sut, { start: 'first' });
    const taken = await take(group, 5, true);
    assert.deepEqual(
      taken.map((delivery) => delivery.entry),
      tagged(blocks),
    );
    assert.equal(await group.pendingCount(), 0);
  });

  test('a new group at "latest" skips what was there and delivers what is appended after', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 4);
    await sut.log.append(blocks[0]!);
    await sut.log.append(blocks[1]!);
    const group = await openGroup(sut);
    await sut.log.append(blocks[2]!);
    await sut.log.append(blocks[3]!);
    const taken = await take(group, 2, true);
    assert.deepEqual(
      taken.map((delivery) => delivery.entry.height),
      [3, 4],
    );
  });

  test('unacknowledged entries come again, first and in order, to a restarted reader of the same name', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const blocks = makeBlockEvents(1, 6);
    for (const block of blocks) await sut.log.append(block);
    const options = {
      redis: sut.admin,
      prefix: sut.prefix,
      group: 'g',
      consumer: 'c',
      start: 'first' as const,
    };
    const first = new RedisConsumerGroup(options);
    await first.create();
    // Acks 1 and 2, then dies holding 3 and 4 unacknowledged.
    const before = await take(first, 4, false);
    await before[0]!.ack();
    await before[1]!.ack();
    assert.equal(await first.pendingCount(), 2);
    const restarted = new RedisConsumerGroup(options);
    await restarted.create();
    const after = await take(restarted, 4, true);
    assert.deepEqual(
      after.map((delivery) => delivery.entry.height),
      [3, 4, 5, 6],
    );
    assert.equal(await restarted.pendingCount(), 0);
  });

  test('generic events are delivered in bus order between the blocks, an emit before the first block too', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const group = await openGroup(sut, { start: 'first' });
    const [one, two] = makeBlockEvents(1, 2);
    const early = await sut.log.emit(status('before any block'));
    await sut.log.append(one!);
    const middle = await sut.log.emit(status('after block 1'));
    await sut.log.append(two!);
    const taken = await take(group, 4, true);
    assert.deepEqual(
      taken.map((delivery) => delivery.id),
      ['0-1', '1-0', '1-1', '2-0'],
    );
    assert.deepEqual(
      taken.map((delivery) => delivery.entry),
      [early.event, ...tagged([one!]), middle.event, ...tagged([two!])],
    );
    assert.equal(await group.pendingCount(), 0);
  });

  test('a generic event taken and not acknowledged is delivered again, the same, after a restart', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const group = await openGroup(sut, { start: 'first' });
    await sut.log.append(makeBlockEvents(1, 1)[0]!);
    const { event } = await sut.log.emit({
      type: 'APP_MESSAGE',
      content: { topic: 't', body: 'once' },
      emittedAt: 5,
    });
    const [block, held] = await take(group, 2, false);
    await block!.ack();
    assert.deepEqual([held!.id, held!.entry], ['1-1', event]);
    const restarted = await openGroup(sut);
    const [again] = await take(restarted, 1, true);
    assert.deepEqual([again!.id, again!.entry], ['1-1', event]);
    assert.equal(await restarted.pendingCount(), 0);
  });

  test('entries are read only when asked for: a reader holding one block leaves the rest unread', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    for (const block of makeBlockEvents(1, 10)) await sut.log.append(block);
    const group = await openGroup(sut, { start: 'first' });
    const controller = new AbortController();
    const reader = group.deliveries(controller.signal);
    const first = await reader.next();
    assert.equal(first.value?.entry.height, 1);
    // One delivered, nine never read by the group.
    assert.equal(await group.pendingCount(), 1);
    controller.abort();
    assert.equal((await reader.next()).done, true);
  });

  test('an aborted reader blocked on an empty stream ends promptly', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const group = await openGroup(sut, { blockMs: 30_000 });
    const controller = new AbortController();
    const reader = group.deliveries(controller.signal);
    const next = reader.next();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    assert.equal((await next).done, true);
    assert.ok(Date.now() - started < 5000, 'ended well within the 30 s block time');
  });

  test('a killed read connection is replaced: pending entries first, then on, every block once acknowledged', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const group = await openGroup(sut, { start: 'first' });
    const controller = new AbortController();
    t.after(() => controller.abort());
    const heights: number[] = [];
    const reading = (async () => {
      for await (const delivery of group.deliveries(controller.signal)) {
        heights.push(delivery.entry.height);
        await delivery.ack();
      }
    })();
    const blocks = makeBlockEvents(1, 30);
    let kills = 0;
    const readerIds = async () =>
      ((await sut.admin.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(' name=blockcast:group:g '))
        .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? '');
    for (const [i, block] of blocks.entries()) {
      await sut.log.append(block);
      if (i % 10 === 5) {
        // Wait for the reconnected reader, so every round kills a live connection.
        await waitUntil(async () => (await readerIds()).length > 0, 5000, 'reader connected');
        for (const id of await readerIds()) kills += Number(await sut.admin.client('KILL', 'ID', id));
      }
    }
    await waitUntil(() => heights.length >= 30, 10_000, 'thirty blocks');
    assert.ok(kills >= 2, `killed the read connection ${kills} times`);
    controller.abort();
    await reading;
    assert.deepEqual(
      heights,
      blocks.map((block) => block.height),
      'each block once, in order',
    );
    assert.equal(await group.pendingCount(), 0);
  });

  test('entries trimmed while pending and before delivery are one exact gap, told before the next entry and again until onGap returns', async (t) => {
    const sut = await openRedisLog({ retainBlocks: 5, trim: 'exact' });
    t.after(() => sut.cleanup());
    for (const block of makeBlockEvents(1, 3)) await sut.log.append(block);
    const gaps: HistoryGap[] = [];
    let failFirst = true;
    const group = await openGroup(sut, {
      start: 'first',
      onGap: (gap) => {
        gaps.push(gap);
        if (failFirst) {
          failFirst = false;
          throw new Error('plugin fault in onGap');
        }
      },
    });
    const [one, two] = await take(group, 3, false);
    await one!.ack();
    await two!.ack();
    // 3 stays pending while 4..12 trim everything below 8.
    for (const block of makeBlockEvents(4, 9)) await sut.log.append(block);
    assert.deepEqual(await sut.storedHeights(), [8, 9, 10, 11, 12]);

    await assert.rejects(take(group, 1, true), /plugin fault in onGap/);
    const after = await take(group, 5, true);
    assert.deepEqual(
      after.map((delivery) => delivery.entry.height),
      [8, 9, 10, 11, 12],
    );
    const told = {
      from: { height: 3, seq: 0 },
      resumedAt: { height: 8, seq: 0 },
      oldest: { height: 8, seq: 0 },
      lost: 5,
    };
    assert.deepEqual(gaps, [told, told], 'told again after the failed onGap, then crossed');
    assert.equal(await group.pendingCount(), 0, 'the trimmed pending entry acknowledged once told');
  });

  test('a group created at "first" on a trimmed stream, or reading ahead of the trimming, is told no gap', async (t) => {
    const sut = await openRedisLog({ retainBlocks: 5, trim: 'exact' });
    t.after(() => sut.cleanup());
    for (const block of makeBlockEvents(1, 12)) await sut.log.append(block);
    const gaps: HistoryGap[] = [];
    const group = await openGroup(sut, { start: 'first', onGap: (gap) => void gaps.push(gap) });
    const entries = readAll(t, group);
    await waitUntil(() => entries.length === 5, 5000, 'the retained five');
    // Each read before the next append: trimming only ever removes entries already delivered.
    for (const block of makeBlockEvents(13, 18)) {
      await sut.log.append(block);
      await waitUntil(() => entries.at(-1)?.height === block.height, 5000, `height ${block.height}`);
    }
    assert.deepEqual(heightsOf(entries), [8, 9, 10, 11, 12, ...Array.from({ length: 18 }, (_, i) => 13 + i)]);
    assert.deepEqual(gaps, []);
  });

  test('a group deleted by hand while reading is created again at its start, with no reset told', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const resets: HistoryReset[] = [];
    const errors: string[] = [];
    const group = await openGroup(sut, {
      start: 'first',
      blockMs: 200,
      onReset: (reset) => void resets.push(reset),
      onError: (error) => void errors.push(String(error)),
    });
    const entries = readAll(t, group);
    for (const block of makeBlockEvents(1, 3)) await sut.log.append(block);
    await waitUntil(() => entries.length === 3, 5000, 'three entries');
    await sut.admin.xgroup('DESTROY', group.key, 'g');
    for (const block of makeBlockEvents(4, 2)) await sut.log.append(block);
    await waitUntil(() => entries.at(-1)?.height === 5, 5000, 'height 5');
    assert.deepEqual(heightsOf(entries), [1, 2, 3, 1, 2, 3, 4, 5], 'replayed from its start ("first")');
    assert.deepEqual(resets, []);
    assert.ok(
      errors.some((error) =>
        /consumer group g was deleted; created again at its start \(first\)/.test(error),
      ),
    );
  });

  test('a stream restored under the group to an older copy (a rollback) is told with a new epoch, then the new history follows', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const { group, resets, entries } = await groupThatTook(t, sut, 200, 5);
    // DUMP keeps the group with the stream: RESTORE puts both back as an older snapshot would.
    const copy = await sut.admin.dumpBuffer(group.key);
    for (const block of makeBlockEvents(6, 5)) await sut.log.append(block);
    await waitUntil(() => entries.length === 10, 5000, 'ten taken');
    const before = await sut.log.epoch();
    await sut.admin.restore(group.key, 0, copy!, 'REPLACE');

    await waitUntil(() => resets.length === 1, 5000, 'the rollback told');
    const after = await sut.log.epoch();
    assert.notEqual(after, before, 'a new epoch started');
    assert.deepEqual(resets, [{ cause: 'rollback', previousEpoch: before, epoch: after }]);
    const replacements = [6, 7, 8].map((height) => makeBlockEvent(height, 3));
    for (const block of replacements) await sut.log.append(block);
    await waitUntil(() => entries.length === 13, 5000, 'the new history');
    assert.deepEqual(entries.slice(10), tagged(replacements), 'the new blocks after the restored position');
  });

  test('a rollback whose new epoch another reader (a gateway) started first is told as a rollback too, and the group goes on', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const { group, resets, entries } = await groupThatTook(t, sut, 200, 3);
    const copy = await sut.admin.dumpBuffer(group.key);
    for (const block of makeBlockEvents(4, 3)) await sut.log.append(block);
    await waitUntil(() => entries.length === 6, 5000, 'six taken');
    const before = await sut.log.epoch();
    await sut.admin
      .multi()
      .restore(group.key, 0, copy!, 'REPLACE')
      .set(sut.log.epochKey, 'started-by-a-gateway')
      .exec();

    await waitUntil(() => resets.length === 1, 5000, 'the rollback told');
    assert.deepEqual(resets, [{ cause: 'rollback', previousEpoch: before, epoch: 'started-by-a-gateway' }]);
    const replacement = makeBlockEvent(4, 2);
    await sut.log.append(replacement);
    await waitUntil(() => entries.length === 7, 5000, 'the new block 4');
    assert.deepEqual(entries.at(-1), tagged([replacement])[0], 'from the restored group position');
  });

  test('a restore that lost the entries the group took, then new ones written under the same IDs, is told as a rollback before any of them', async (t) => {
    const sut = await openRedisLog();
    t.after(() => sut.cleanup());
    const resets: HistoryReset[] = [];
    // Long blocking reads: only the entries' chain can tell, not an empty read that finds the top fallen.
    const group = await openGroup(sut, {
      start: 'first',
      blockMs: 30_000,
      onReset: (reset) => void resets.push(reset),
    });
    const entries = readAll(t, group);
    for (const block of makeBlockEvents(1, 3)) await sut.log.append(block);
    await waitUntil(
      async () => entries.length === 3 && (await group.pendingCount()) === 0,
      5000,
      'three taken',
    );
    // DUMP keeps the group with the stream: RESTORE puts both back as an older snapshot would.
    const copy = await sut.admin.dumpBuffer(group.key);
    await sut.log.emit(status('taken, then lost'));
    await sut.log.emit(status('taken, then lost too'));
    await waitUntil(() => entries.length === 5, 5000, 'five taken');
    const before = await sut.log.epoch();
    await sut.admin.restore(group.key, 0, copy!, 'REPLACE');

    // Another writer (this log would start a new epoch itself): same epoch, new entries at 3-1 and 3-2, and more.
    const writer = await sut.peer();
    const replacements = [];
    for (const message of ['new 3-1', 'new 3-2', 'new 3-3'])
      replacements.push((await writer.emit(status(message))).event);
    await waitUntil(() => entries.length === 8, 10_000, 'the new history');
    const after = await sut.log.epoch();
    assert.notEqual(after, before, 'a new epoch started');
    assert.deepEqual(resets, [{ cause: 'rollback', previousEpoch: before, epoch: after }]);
    assert.deepEqual(entries.slice(5), replacements, 'the new entries, each once, after the signal');
  });
});
