/** RedisConsumerGroup: at-least-once, one entry at a time, pending entries first after a restart. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvents, waitUntil } from '@blockcast/devkit';
import { type GroupDelivery, RedisConsumerGroup } from '@blockcast/event-log';
import { openRedisLog, redisSkip } from './redis-log-fixture.js';

type LogUnderTest = Awaited<ReturnType<typeof openRedisLog>>;

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
      blocks,
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
    const status = (message: string) => ({
      type: 'NODE_STATUS' as const,
      content: { node_id: 'n', status: 'up', message },
      emittedAt: 1,
    });
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
      [early.event, one, middle.event, two],
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
});
