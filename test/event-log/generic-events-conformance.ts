/**
 * The generic-events part of the EventLog contract (emit, readEntries, tailEntries), run against
 * every implementation with the same factory as the block contract.
 */

import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { makeBlockEvent, makeBlockEvents } from '@blockcast/devkit';
import {
  type EmitRefusalCode,
  EmitRefusedError,
  type EmitRequest,
  LogResetError,
} from '@blockcast/event-log';
import {
  comparePositions,
  type EmittedEventTypeName,
  formatPosition,
  type GenericEvent,
  isGenericEvent,
  type LogEntry,
  type Position,
  parsePosition,
} from '@blockcast/protocol';
import {
  assertRefused,
  type ConformanceOptions,
  type LogFactoryOptions,
  type LogUnderTest,
} from './event-log-conformance.js';
import { appendAll, heightsOf, range, startEntryTail, startTail } from './tail-recorder.js';

const START: Position = { height: 0, seq: 0 };
const EVERYTHING = 100_000;

export function genericEventsConformance(name: string, implementation: ConformanceOptions): void {
  async function open(t: TestContext, options?: LogFactoryOptions): Promise<LogUnderTest> {
    const opened = await implementation.open(options);
    t.after(() => opened.cleanup());
    return opened;
  }

  describe(`${name} keeps the generic-events contract`, { skip: implementation.skip ?? false }, () => {
    test('blocks and emitted events share one total order: each event sits after the block before it', async (t) => {
      const { log } = await open(t);
      await appendAll(log, makeBlockEvents(1, 2));
      const first = await log.emit(status('a'));
      const second = await log.emit(message('b'));
      await log.append(makeBlockEvent(3, 1));
      const third = await log.emit(status('c'));
      assert.deepEqual(
        [first, second, third].map((result) => [result.status, formatPosition(result.event)]),
        [
          ['appended', '2-1'],
          ['appended', '2-2'],
          ['appended', '3-1'],
        ],
      );
      assert.deepEqual(positionsOf(await log.readEntries(START, EVERYTHING)), [
        '1',
        '2',
        '2-1',
        '2-2',
        '3',
        '3-1',
      ]);
      assert.deepEqual(await log.readEntries({ height: 2, seq: 0 }, 2), [first.event, second.event]);
    });

    test('an emitted event is stored exactly as answered: type, position, content and time', async (t) => {
      const { log } = await open(t);
      await log.append(makeBlockEvent(1, 0));
      const content = { topic: 'prices', body: { eur: 1.25, list: [1, 'two', null], nested: { ok: true } } };
      const { event } = await log.emit({ type: 'APP_MESSAGE', content, emittedAt: 1_700_000_000_123 });
      const expected: GenericEvent = {
        type: 'APP_MESSAGE',
        height: 1,
        seq: 1,
        content,
        emittedAt: 1_700_000_000_123,
      };
      assert.deepEqual(event, expected);
      assert.deepEqual(await log.readEntries({ height: 1, seq: 0 }, 1), [expected]);
      assert.ok(isGenericEvent(event));
    });

    test('before the first block events sit at the first height − 1, bounds stay null, the first block still follows', async (t) => {
      const { log } = await open(t, { firstHeight: 10 });
      const { event, epoch } = await log.emit(status('early'));
      assert.equal(formatPosition(event), '9-1');
      assert.equal(await log.epoch(), epoch, 'the first emit makes the epoch');
      assert.equal((await log.emit(status('early too'))).event.seq, 2);
      assert.equal(await log.bounds(), null, 'bounds are of blocks: there is none');
      assert.deepEqual(await log.read(0, 10), []);
      const appended = await log.append(makeBlockEvent(10, 1));
      assert.deepEqual([appended.status, appended.epoch], ['appended', epoch], 'the epoch is kept');
      assert.deepEqual(await log.bounds(), { first: 10, last: 10 });
      assert.deepEqual(positionsOf(await log.readEntries(START, EVERYTHING)), ['9-1', '9-2', '10']);
    });

    test('a block follows its predecessor with events between (H+1 after H-3); gaps, duplicates and conflicts are judged as before', async (t) => {
      const { log } = await open(t);
      const blocks = makeBlockEvents(1, 3);
      await appendAll(log, blocks.slice(0, 2));
      for (const i of range(0, 3)) await log.emit(status(`s${i}`));
      await assertRefused(log.append(makeBlockEvent(4, 0)), 'HEIGHT_GAP', 3);
      assert.equal((await log.append(blocks[1]!)).status, 'duplicate');
      await assertRefused(log.append(makeBlockEvent(2, 5)), 'HEIGHT_CONFLICT', 3);
      const appended = await log.append(blocks[2]!);
      assert.deepEqual([appended.status, appended.height], ['appended', 3]);
      assert.deepEqual(await log.bounds(), { first: 1, last: 3 });
      assert.deepEqual(positionsOf(await log.readEntries(START, EVERYTHING)), [
        '1',
        '2',
        '2-1',
        '2-2',
        '2-3',
        '3',
      ]);
    });

    test('emits and appends keep one epoch, the one every answer names', async (t) => {
      const { log, peer } = await open(t);
      const emitted = await log.emit(status('first'));
      const appended = await (await peer()).append(makeBlockEvent(1, 1));
      const again = await (await peer()).emit(status('second'));
      assert.equal(typeof emitted.epoch, 'string');
      assert.deepEqual(
        [appended.epoch, again.epoch, await log.epoch()],
        [emitted.epoch, emitted.epoch, emitted.epoch],
      );
    });

    test('read, tail and bounds stay blocks-only around events', async (t) => {
      const { log } = await open(t);
      const tail = startTail(log, { after: 0, batchSize: 3 });
      t.after(() => tail.stop());
      for (const block of makeBlockEvents(1, 4)) {
        await log.emit(status(`before ${block.height}`));
        await log.append(block);
        for (const i of range(0, 7)) await log.emit(status(`after ${block.height} #${i}`));
      }
      assert.deepEqual(heightsOf(await log.read(1, 10)), [1, 2, 3, 4]);
      assert.deepEqual(heightsOf(await log.read(2, 2)), [2, 3], 'the limit counts blocks, not events');
      assert.deepEqual(await log.bounds(), { first: 1, last: 4 });
      await tail.received(4);
      const settled = await tail.settled();
      assert.deepEqual(heightsOf(settled), [1, 2, 3, 4]);
      assert.ok(settled.every((block) => !isGenericEvent(block)));
    });

    test('a blocks-only tail and read get past more events than a batch holds, backlog and live', async (t) => {
      const { log } = await open(t);
      await log.append(makeBlockEvent(1, 0));
      for (const i of range(0, 25)) await log.emit(status(`flood ${i}`));
      await log.append(makeBlockEvent(2, 0));
      const tail = startTail(log, { after: 0, batchSize: 4 });
      t.after(() => tail.stop());
      await tail.received(2);
      for (const i of range(0, 25)) await log.emit(status(`live flood ${i}`));
      await log.append(makeBlockEvent(3, 0));
      await tail.received(3);
      const settled = await tail.settled();
      assert.deepEqual(heightsOf(settled), [1, 2, 3]);
      assert.deepEqual(heightsOf(await log.read(1, 3)), [1, 2, 3], 'a read gets past them too');
      assert.deepEqual(heightsOf(await log.read(2, 1)), [2]);
    });

    test('readEntries from any position H or H-S answers exactly the entries after it, paged without gap or duplicate', async (t) => {
      const { log } = await open(t);
      for (const block of makeBlockEvents(1, 4)) {
        await log.append(block);
        for (const i of range(0, block.height % 3)) await log.emit(status(`${block.height}.${i}`));
      }
      const all = await log.readEntries(START, EVERYTHING);
      assert.deepEqual(positionsOf(all), ['1', '1-1', '2', '2-1', '2-2', '3', '4', '4-1']);
      for (const [index, entry] of all.entries()) {
        assert.deepEqual(await log.readEntries(positionOf(entry), EVERYTHING), all.slice(index + 1));
      }
      assert.deepEqual(positionsOf(await log.readEntries({ height: 2, seq: 0 }, EVERYTHING)), [
        '2-1',
        '2-2',
        '3',
        '4',
        '4-1',
      ]);
      assert.deepEqual(positionsOf(await log.readEntries({ height: 2, seq: 7 }, EVERYTHING)), [
        '3',
        '4',
        '4-1',
      ]);
      const paged: LogEntry[] = [];
      for (let after = START, page = await log.readEntries(after, 3); page.length > 0; ) {
        paged.push(...page);
        after = positionOf(page.at(-1)!);
        page = await log.readEntries(after, 3);
      }
      assert.deepEqual(paged, all);
      assert.deepEqual(await log.readEntries({ height: 4, seq: 1 }, 5), []);
      assert.deepEqual(await log.readEntries(START, 0), []);
    });

    test('readEntries bound to an epoch answers in the log’s epoch and refuses another with LogResetError', async (t) => {
      const { log } = await open(t);
      const { epoch } = await log.append(makeBlockEvent(1, 0));
      await log.emit(status('after 1'));
      assert.deepEqual(positionsOf(await log.readEntries(START, EVERYTHING, epoch)), ['1', '1-1']);
      await assert.rejects(log.readEntries(START, EVERYTHING, 'anotherEpoch'), (error) => {
        assert.ok(error instanceof LogResetError, String(error));
        assert.deepEqual([error.epoch, error.last], [epoch, 1]);
        return true;
      });
    });

    test('readEntries and tailEntries refuse cursors that are not positions of integers >= 0', async (t) => {
      const { log } = await open(t);
      for (const after of [
        { height: -1, seq: 0 },
        { height: 1, seq: 1.5 },
        { height: Number.NaN, seq: 0 },
      ]) {
        await assert.rejects(log.readEntries(after, 1), RangeError);
        assert.throws(() => log.tailEntries({ after, signal: AbortSignal.abort() }), RangeError);
      }
    });

    for (const from of ['2', '2-1'] as const) {
      test(`tailEntries from ${from} delivers the backlog after it, then live blocks and events, each once, in order`, async (t) => {
        const { log } = await open(t);
        await appendAll(log, makeBlockEvents(1, 2));
        await log.emit(status('2-1'));
        await log.emit(status('2-2'));
        const tail = startEntryTail(log, { after: positionFrom(from), batchSize: 2 });
        t.after(() => tail.stop());
        await log.append(makeBlockEvent(3, 1));
        await log.emit(message('3-1'));
        await log.append(makeBlockEvent(4, 0));
        const expected = from === '2' ? ['2-1', '2-2', '3', '3-1', '4'] : ['2-2', '3', '3-1', '4'];
        await tail.received(expected.length);
        const settled = await tail.settled();
        assert.deepEqual(positionsOf(settled), expected);
      });
    }

    test("tailEntries from 'latest' skips everything already there, events at the top included", async (t) => {
      const { log } = await open(t);
      await log.append(makeBlockEvent(1, 0));
      await log.emit(status('old'));
      const tail = startEntryTail(log, { after: 'latest' });
      t.after(() => tail.stop());
      await log.emit(status('new'));
      await log.append(makeBlockEvent(2, 0));
      await tail.received(2);
      const settled = await tail.settled();
      assert.deepEqual(positionsOf(settled), ['1-2', '2']);
    });

    test("tailEntries from 'latest' on an empty log delivers the first event emitted", async (t) => {
      const { log } = await open(t);
      const tail = startEntryTail(log, { after: 'latest' });
      t.after(() => tail.stop());
      await log.emit(status('first'));
      await log.append(makeBlockEvent(1, 0));
      await tail.received(2);
      assert.deepEqual(positionsOf(tail.items), ['0-1', '1']);
    });

    test('tailEntries given another epoch ends with LogResetError', async (t) => {
      const { log } = await open(t);
      await log.emit(status('x'));
      const failure = await startEntryTail(log, {
        after: START,
        epoch: 'an-epoch-of-another-history',
      }).failed();
      assert.ok(failure instanceof LogResetError, `a LogResetError, got ${String(failure)}`);
      assert.equal(failure.epoch, await log.epoch());
    });

    test('trimming a height removes its events with its block', async (t) => {
      const { log, storedIds } = await open(t, { retainBlocks: 2, trim: 'exact' });
      await log.emit(status('before any block'));
      for (const block of makeBlockEvents(1, 4)) {
        await log.append(block);
        await log.emit(status(`after ${block.height}`));
      }
      assert.deepEqual(await storedIds(), ['3-0', '3-1', '4-0', '4-1']);
      assert.deepEqual(positionsOf(await log.readEntries(START, EVERYTHING)), ['3', '3-1', '4', '4-1']);
      assert.deepEqual(await log.bounds(), { first: 3, last: 4 });
    });

    test('concurrent emits from two writers are all stored once, each at the position its answer names', async (t) => {
      const { log, peer, storedIds } = await open(t);
      await log.append(makeBlockEvent(1, 0));
      const writers = [log, await peer()];
      const results = await Promise.all(
        range(0, 60).map((i) => writers[i % 2]!.emit(status(`writer ${i % 2} event ${i}`))),
      );
      const answered = results.map((result) => formatPosition(result.event)).sort(byPosition);
      assert.deepEqual(
        answered,
        range(1, 61).map((seq) => `1-${seq}`),
      );
      const stored = (await log.readEntries(START, EVERYTHING)).filter(isGenericEvent);
      assert.deepEqual(
        stored.map((event) => (event.content as { message: string }).message).sort(),
        range(0, 60)
          .map((i) => `writer ${i % 2} event ${i}`)
          .sort(),
      );
      for (const result of results) assert.deepEqual(stored[result.event.seq - 1], result.event);
      assert.equal((await storedIds()).length, 61);
    });

    test('an idempotency key seen again answers the original event and writes nothing', async (t) => {
      const { log, peer, storedIds } = await open(t);
      await log.append(makeBlockEvent(1, 0));
      const original = await log.emit({ ...status('once'), idempotencyKey: 'retry-1', emittedAt: 1000 });
      await log.emit(status('another'));
      const retry = await (await peer()).emit({
        ...status('once'),
        idempotencyKey: 'retry-1',
        emittedAt: 2000,
      });
      assert.deepEqual(retry, { status: 'duplicate', event: original.event, epoch: original.epoch });
      assert.deepEqual(await storedIds(), ['1-0', '1-1', '1-2']);
    });

    test('an idempotency key reused with another body is a conflict naming the original position', async (t) => {
      const { log, storedIds } = await open(t);
      await log.emit({ ...status('first body'), idempotencyKey: 'k' });
      await assertEmitRefused(
        log.emit({ ...status('second body'), idempotencyKey: 'k' }),
        'IDEMPOTENCY_CONFLICT',
      );
      await assertEmitRefused(
        log.emit({
          type: 'APP_MESSAGE',
          content: status('first body').content,
          emittedAt: 1,
          idempotencyKey: 'k',
        }),
        'IDEMPOTENCY_CONFLICT',
        'the type is part of the body',
      );
      const refusal = await log
        .emit({ ...status('third'), idempotencyKey: 'k' })
        .catch((error: unknown) => error);
      assert.ok(refusal instanceof EmitRefusedError);
      assert.deepEqual(refusal.refusal, {
        code: 'IDEMPOTENCY_CONFLICT',
        idempotencyKey: 'k',
        original: { height: 0, seq: 1 },
      });
      assert.deepEqual(await storedIds(), ['0-1']);
    });

    test('the same body with object keys in another order is the same event under its key', async (t) => {
      const { log } = await open(t);
      const first = await log.emit({
        type: 'NODE_STATUS',
        content: { node_id: 'n', status: 'up' },
        emittedAt: 1,
        idempotencyKey: 'order',
      });
      const second = await log.emit({
        type: 'NODE_STATUS',
        content: { status: 'up', node_id: 'n' },
        emittedAt: 2,
        idempotencyKey: 'order',
      });
      assert.deepEqual([second.status, second.event], ['duplicate', first.event]);
    });

    test('concurrent emits with one idempotency key store one event', async (t) => {
      const { log, peer, storedIds } = await open(t);
      const writers = [log, await peer()];
      const results = await Promise.all(
        range(0, 20).map((i) =>
          writers[i % 2]!.emit({ ...status('racing'), idempotencyKey: 'race', emittedAt: i }),
        ),
      );
      assert.equal(results.filter((result) => result.status === 'appended').length, 1);
      assert.ok(results.every((result) => formatPosition(result.event) === '0-1'));
      assert.deepEqual(await storedIds(), ['0-1']);
    });

    test('an idempotency key is forgotten after its window', async (t) => {
      const { log, storedIds } = await open(t, { idempotencyWindowMs: 150 });
      const first = await log.emit({ ...status('x'), idempotencyKey: 'short' });
      assert.equal((await log.emit({ ...status('x'), idempotencyKey: 'short' })).status, 'duplicate');
      await delay(400);
      const later = await log.emit({ ...status('x'), idempotencyKey: 'short' });
      assert.deepEqual([later.status, formatPosition(later.event)], ['appended', '0-2']);
      assert.equal(formatPosition(first.event), '0-1');
      assert.deepEqual(await storedIds(), ['0-1', '0-2']);
    });

    test('a height takes at most maxEventsPerHeight events: the next is refused until a block comes', async (t) => {
      const { log, storedIds } = await open(t, { maxEventsPerHeight: 3 });
      await log.append(makeBlockEvent(1, 0));
      for (const i of range(0, 3)) await log.emit(status(`${i}`));
      const refusal = await log.emit(status('one too many')).catch((error: unknown) => error);
      assert.ok(refusal instanceof EmitRefusedError, `an EmitRefusedError, got ${String(refusal)}`);
      assert.deepEqual(refusal.refusal, { code: 'TOO_MANY_EVENTS_AT_HEIGHT', height: 1, limit: 3 });
      assert.match(refusal.message, /after block 1.*next block/);
      assert.deepEqual(await storedIds(), ['1-0', '1-1', '1-2', '1-3']);
      await log.append(makeBlockEvent(2, 0));
      assert.equal(formatPosition((await log.emit(status('fits again'))).event), '2-1');
    });

    test('content larger than maxEventBytes as JSON is refused; exactly the limit is stored', async (t) => {
      const { log, storedIds } = await open(t, { maxEventBytes: 64 });
      const sized = (bytes: number) => ({
        topic: 't',
        body: 'x'.repeat(bytes - '{"topic":"t","body":""}'.length),
      });
      const refusal = await log
        .emit({ type: 'APP_MESSAGE', content: sized(65), emittedAt: 1 })
        .catch((error: unknown) => error);
      assert.ok(refusal instanceof EmitRefusedError);
      assert.deepEqual(refusal.refusal, { code: 'EVENT_TOO_LARGE', bytes: 65, limit: 64 });
      assert.deepEqual(await storedIds(), []);
      assert.equal(await log.epoch(), null, 'not even an epoch was made');
      assert.equal(
        (await log.emit({ type: 'APP_MESSAGE', content: sized(64), emittedAt: 1 })).status,
        'appended',
      );
    });

    test('malformed emits are RangeErrors and write nothing', async (t) => {
      const { log, storedIds } = await open(t);
      const malformed: EmitRequest[] = [
        { ...status('x'), type: 'BLOCK_VALID' as EmittedEventTypeName },
        { ...status('x'), type: 'NO_SUCH_TYPE' as EmittedEventTypeName },
        { type: 'NODE_STATUS', content: undefined, emittedAt: 1 },
        { ...status('x'), emittedAt: -1 },
        { ...status('x'), emittedAt: 1.5 },
        { ...status('x'), idempotencyKey: '' },
        { ...status('x'), idempotencyKey: 'has space' },
        { ...status('x'), idempotencyKey: 'k'.repeat(201) },
      ];
      for (const request of malformed)
        await assert.rejects(log.emit(request), RangeError, JSON.stringify(request));
      assert.deepEqual(await storedIds(), []);
    });
  });
}

function status(message: string): EmitRequest {
  return {
    type: 'NODE_STATUS',
    content: { node_id: 'node-1', status: 'up', message },
    emittedAt: Date.now(),
  };
}

function message(body: string): EmitRequest {
  return { type: 'APP_MESSAGE', content: { topic: 'test', body }, emittedAt: Date.now() };
}

function positionOf(entry: LogEntry): Position {
  return { height: entry.height, seq: isGenericEvent(entry) ? entry.seq : 0 };
}

function positionsOf(entries: LogEntry[]): string[] {
  return entries.map((entry) => formatPosition(positionOf(entry)));
}

function positionFrom(text: string): Position {
  const position = parsePosition(text);
  if (position === undefined) throw new Error(`not a position: ${text}`);
  return position;
}

function byPosition(a: string, b: string): number {
  return comparePositions(positionFrom(a), positionFrom(b));
}

async function assertEmitRefused(
  emit: Promise<unknown>,
  code: EmitRefusalCode,
  message?: string,
): Promise<void> {
  await assert.rejects(
    emit,
    (error: unknown) => {
      assert.ok(error instanceof EmitRefusedError, `an EmitRefusedError, got ${String(error)}`);
      assert.equal(error.code, code);
      return true;
    },
    message,
  );
}
