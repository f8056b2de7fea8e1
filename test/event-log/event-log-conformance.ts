/**
 * The EventLog contract (architecture §4), run against every implementation: each runner passes a
 * factory that opens a fresh, empty log and says how to look at its store directly. Sections:
 * 1 appending blocks, 2 retention and bounds, 3 emitting generic events, 4 reading after a
 * position, 5 tailing, 6 epochs.
 */

import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { makeBlockEvent, makeBlockEvents, waitUntil } from '@blockcast/devkit';
import {
  type AppendRefusal,
  AppendRefusedError,
  type EmitRefusalCode,
  EmitRefusedError,
  type EmitRequest,
  type EventLog,
  LogResetError,
  type TrimMode,
} from '@blockcast/event-log';
import {
  comparePositions,
  type EmittedEventTypeName,
  type EventEntry,
  entryPosition,
  formatPosition,
  type LogEntry,
  type Position,
  parsePosition,
} from '@blockcast/protocol';
import {
  appendAll,
  appendSentinel,
  heightsOf,
  range,
  readBlocks,
  startEntryTail,
  startTail,
  tagged,
} from './tail-recorder.js';

const START: Position = { height: 0, seq: 0 };
const EVERYTHING = 100_000;

export interface LogUnderTest {
  log: EventLog;
  /** Another handle on the same store, as a second ingest replica would have (or `log` itself). */
  peer(): Promise<EventLog>;
  /** Heights as the store holds them: read from the store itself where there is one (Redis: XRANGE). */
  storedHeights(): Promise<number[]>;
  /** Every entry's `H-S` as the store holds it, blocks (`H-0`) and generic events alike. */
  storedIds(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface LogFactoryOptions {
  retainBlocks?: number;
  firstHeight?: number;
  trim?: TrimMode;
  maxEventsPerHeight?: number;
  maxEventBytes?: number;
  idempotencyWindowMs?: number;
}

export interface ConformanceOptions {
  open(options?: LogFactoryOptions): Promise<LogUnderTest>;
  /** How many blocks beyond `retainBlocks` approximate trimming may keep (0 when trimming is exact). */
  approximateSlack(): Promise<number>;
  skip?: string | false;
}

export function eventLogConformance(name: string, implementation: ConformanceOptions): void {
  async function open(t: TestContext, options?: LogFactoryOptions): Promise<LogUnderTest> {
    const opened = await implementation.open(options);
    t.after(() => opened.cleanup());
    return opened;
  }

  describe(`${name} keeps the EventLog contract`, { skip: implementation.skip ?? false }, () => {
    describe('1. Appending blocks', () => {
      test('appends contiguous heights and reads back exactly what was appended', async (t) => {
        const { log } = await open(t);
        const blocks = [
          ...makeBlockEvents(1, 4),
          makeBlockEvent(5, 2, { version: '3.0', rejected: 2, hash: null, chainId: 'test-chain' }),
        ];
        for (const block of blocks) {
          assert.deepEqual(await log.append(block), {
            status: 'appended',
            height: block.height,
            epoch: await log.epoch(),
          });
        }
        assert.deepEqual(await readBlocks(log, 1, 10), tagged(blocks));
      });

      test('an empty log accepts only its first height (default 1) and refuses any other as a gap', async (t) => {
        const { log, storedHeights } = await open(t);
        for (const height of [2, 1000, Number.MAX_SAFE_INTEGER]) {
          await assertRefused(log.append(makeBlockEvent(height, 1)), 'HEIGHT_GAP', 1);
        }
        assert.deepEqual(await storedHeights(), [], 'nothing written, not even an epoch');
        assert.equal(await log.epoch(), null);
        assert.deepEqual(await log.append(makeBlockEvent(1, 1)), {
          status: 'appended',
          height: 1,
          epoch: await log.epoch(),
        });
      });

      test('a configured first height is the one an empty log accepts, then only the next one', async (t) => {
        const { log } = await open(t, { firstHeight: 1000 });
        await assertRefused(log.append(makeBlockEvent(1, 1)), 'HEIGHT_GAP', 1000);
        assert.deepEqual(await log.append(makeBlockEvent(1000, 1)), {
          status: 'appended',
          height: 1000,
          epoch: await log.epoch(),
        });
        assert.deepEqual(await log.bounds(), { first: 1000, last: 1000 });
        await assertRefused(log.append(makeBlockEvent(999, 1)), 'HEIGHT_BEYOND_RETENTION', 1001);
        assert.deepEqual(await log.append(makeBlockEvent(1001, 0)), {
          status: 'appended',
          height: 1001,
          epoch: await log.epoch(),
        });
      });

      test('refuses heights that are not integers >= 1 and writes nothing', async (t) => {
        const { log, storedHeights } = await open(t);
        for (const height of [0, -1, 1.5, Number.NaN]) {
          await assert.rejects(log.append({ ...makeBlockEvent(1, 0), height }), RangeError);
        }
        assert.deepEqual(await storedHeights(), []);
      });

      test('100 concurrent appends of one block store it once: one appended, 99 duplicates', async (t) => {
        const { log, peer, storedHeights } = await open(t);
        await appendAll(log, makeBlockEvents(1, 2));
        const block = makeBlockEvent(3, 3);
        const writers = [log, await peer(), await peer(), await peer()];
        // Retries re-normalise the block: same digest, later ingestedAt; still a duplicate.
        const results = await Promise.all(
          range(0, 100).map((i) =>
            writers[i % writers.length]!.append({ ...block, ingestedAt: block.ingestedAt + i }),
          ),
        );
        assert.equal(results.filter((result) => result.status === 'appended').length, 1);
        assert.equal(results.filter((result) => result.status === 'duplicate').length, 99);
        assert.ok(results.every((result) => result.height === 3));
        assert.deepEqual(await storedHeights(), [1, 2, 3]);
        assert.equal((await readBlocks(log, 3, 1))[0]?.digest, block.digest);
      });

      test('racing writers of one chain store every height exactly once, in order', async (t) => {
        const { log, peer, storedHeights } = await open(t);
        const blocks = makeBlockEvents(1, 30);
        const writers = [log, ...(await Promise.all(range(0, 7).map(() => peer())))];
        const results = await Promise.all(
          writers.map(async (writer) => {
            const statuses: string[] = [];
            for (const block of blocks) statuses.push((await writer.append(block)).status);
            return statuses;
          }),
        );
        for (const [i, block] of blocks.entries()) {
          const appended = results.filter((statuses) => statuses[i] === 'appended').length;
          assert.equal(appended, 1, `height ${block.height} appended by exactly one writer`);
        }
        assert.deepEqual(await storedHeights(), range(1, 31));
        assert.deepEqual(await readBlocks(log, 1, 100), tagged(blocks));
      });

      test('refuses a gap with the expected height and writes nothing', async (t) => {
        const { log, storedHeights } = await open(t);
        await appendAll(log, makeBlockEvents(1, 3));
        await assertRefused(log.append(makeBlockEvent(5, 1)), 'HEIGHT_GAP', 4);
        assert.deepEqual(await storedHeights(), [1, 2, 3]);
        assert.deepEqual(await log.bounds(), { first: 1, last: 3 });
      });

      test('refuses a different block at a stored height and keeps the stored one', async (t) => {
        const { log, storedHeights } = await open(t);
        const blocks = makeBlockEvents(1, 3);
        await appendAll(log, blocks);
        const rival = makeBlockEvent(2, 2);
        assert.notEqual(rival.digest, blocks[1]!.digest);
        await assertRefused(log.append(rival), 'HEIGHT_CONFLICT', 4);
        await assertRefused(log.append({ ...blocks[2]!, digest: rival.digest }), 'HEIGHT_CONFLICT', 4);
        assert.deepEqual(await storedHeights(), [1, 2, 3]);
        assert.deepEqual(await readBlocks(log, 1, 10), tagged(blocks));
      });

      test('refuses a height older than retention as unverifiable', async (t) => {
        const { log } = await open(t, { retainBlocks: 5, trim: 'exact' });
        const blocks = makeBlockEvents(1, 20);
        await appendAll(log, blocks);
        await assertRefused(log.append(blocks[2]!), 'HEIGHT_BEYOND_RETENTION', 21);
        assert.deepEqual(await log.append(blocks[17]!), {
          status: 'duplicate',
          height: 18,
          epoch: await log.epoch(),
        });
      });
    });

    describe('2. Retention and bounds', () => {
      test('bounds are null when empty, then the first and last heights', async (t) => {
        const { log } = await open(t, { firstHeight: 41 });
        assert.equal(await log.bounds(), null);
        await appendAll(log, makeBlockEvents(41, 3));
        assert.deepEqual(await log.bounds(), { first: 41, last: 43 });
      });

      test('exact retention keeps exactly the newest N blocks', async (t) => {
        const { log, storedHeights } = await open(t, { retainBlocks: 10, trim: 'exact' });
        await appendAll(log, makeBlockEvents(1, 35));
        assert.deepEqual(await storedHeights(), range(26, 36));
        assert.deepEqual(await log.bounds(), { first: 26, last: 35 });
        assert.deepEqual(heightsOf(await readBlocks(log, 1, 100)), range(26, 36));
      });

      test('approximate retention keeps at least N blocks and at most one storage node more', async (t) => {
        const retainBlocks = 10;
        const slack = await implementation.approximateSlack();
        const { log, storedHeights } = await open(t, { retainBlocks, trim: 'approximate' });
        const appended = retainBlocks + 3 * Math.max(slack, 10);
        await appendAll(log, makeBlockEvents(1, appended, { rejected: 0 }));
        const kept = await storedHeights();
        assert.ok(kept.length >= retainBlocks, `kept ${kept.length}, at least ${retainBlocks}`);
        assert.ok(
          kept.length <= retainBlocks + slack,
          `kept ${kept.length}, at most ${retainBlocks + slack}`,
        );
        assert.deepEqual(kept, range(appended - kept.length + 1, appended + 1));
        assert.deepEqual(await log.bounds(), { first: appended - kept.length + 1, last: appended });
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

      test('ping answers true while the store is reachable', async (t) => {
        const { log } = await open(t);
        assert.equal(await log.ping(), true);
      });
    });

    describe('3. Emitting generic events', () => {
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
        const content = {
          topic: 'prices',
          body: { eur: 1.25, list: [1, 'two', null], nested: { ok: true } },
        };
        const { event } = await log.emit({ type: 'APP_MESSAGE', content, emittedAt: 1_700_000_000_123 });
        const expected: EventEntry = {
          kind: 'event',
          type: 'APP_MESSAGE',
          height: 1,
          seq: 1,
          content,
          emittedAt: 1_700_000_000_123,
        };
        assert.deepEqual(event, expected);
        assert.deepEqual(await log.readEntries({ height: 1, seq: 0 }, 1), [expected]);
      });

      test('before the first block events sit at the first height − 1, bounds stay null, the first block still follows', async (t) => {
        const { log } = await open(t, { firstHeight: 10 });
        const { event, epoch } = await log.emit(status('early'));
        assert.equal(formatPosition(event), '9-1');
        assert.equal(await log.epoch(), epoch, 'the first emit makes the epoch');
        assert.equal((await log.emit(status('early too'))).event.seq, 2);
        assert.equal(await log.bounds(), null, 'bounds are of blocks: there is none');
        assert.deepEqual(await readBlocks(log, 0, 10), []);
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
        const stored = (await log.readEntries(START, EVERYTHING)).filter((entry) => entry.kind === 'event');
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

    describe('4. Reading after a position', () => {
      test('reads a height range with a limit, clipped to what the log holds', async (t) => {
        const { log } = await open(t);
        await appendAll(log, makeBlockEvents(1, 10));
        assert.deepEqual(heightsOf(await readBlocks(log, 3, 4)), [3, 4, 5, 6]);
        assert.deepEqual(heightsOf(await readBlocks(log, 8, 100)), [8, 9, 10]);
        assert.deepEqual(heightsOf(await readBlocks(log, -5, 2)), [1, 2]);
        assert.deepEqual(await readBlocks(log, 11, 5), []);
        assert.deepEqual(await readBlocks(log, 3, 0), []);
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
          assert.deepEqual(await log.readEntries(entryPosition(entry), EVERYTHING), all.slice(index + 1));
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
          after = entryPosition(page.at(-1)!);
          page = await log.readEntries(after, 3);
        }
        assert.deepEqual(paged, all);
        assert.deepEqual(await log.readEntries({ height: 4, seq: 1 }, 5), []);
        assert.deepEqual(await log.readEntries(START, 0), []);
      });

      test('bounds count blocks only, and a tail in small batches delivers every block and event around them in order', async (t) => {
        const { log } = await open(t);
        const tail = startEntryTail(log, { after: START, batchSize: 3 });
        t.after(() => tail.stop());
        const written: string[] = [];
        for (const block of makeBlockEvents(1, 4)) {
          written.push(formatPosition((await log.emit(status(`before ${block.height}`))).event));
          await log.append(block);
          written.push(String(block.height));
          for (const i of range(0, 7)) {
            written.push(formatPosition((await log.emit(status(`after ${block.height} #${i}`))).event));
          }
        }
        assert.deepEqual(await log.bounds(), { first: 1, last: 4 });
        await tail.received(written.length);
        const settled = await tail.settled();
        assert.deepEqual(positionsOf(settled), written);
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
    });

    describe('5. Tailing', () => {
      test('a tail from a height delivers the backlog, then live appends, in order, exactly once', async (t) => {
        const { log } = await open(t);
        const blocks = makeBlockEvents(1, 12);
        await appendAll(log, blocks.slice(0, 5));
        const tail = startTail(log, { after: 2, batchSize: 2 });
        t.after(() => tail.stop());
        await tail.received(3);
        await appendAll(log, blocks.slice(5));
        await tail.received(10);
        const settled = await tail.settled();
        assert.deepEqual(settled, tagged(blocks.slice(2)));
      });

      test("a tail from 'latest' skips the backlog and delivers every later append", async (t) => {
        const { log } = await open(t);
        const blocks = makeBlockEvents(1, 8);
        await appendAll(log, blocks.slice(0, 5));
        const tail = startTail(log, { after: 'latest' });
        t.after(() => tail.stop());
        await appendAll(log, blocks.slice(5));
        await tail.received(3);
        const settled = await tail.settled();
        assert.deepEqual(heightsOf(settled), [6, 7, 8]);
      });

      test('a tail behind retention starts at the oldest retained block', async (t) => {
        const { log } = await open(t, { retainBlocks: 5, trim: 'exact' });
        await appendAll(log, makeBlockEvents(1, 20));
        const tail = startTail(log, { after: 0 });
        t.after(() => tail.stop());
        await tail.received(5);
        const settled = await tail.settled();
        assert.deepEqual(heightsOf(settled), [16, 17, 18, 19, 20]);
      });

      test('several tails each receive every block once', async (t) => {
        const { log } = await open(t);
        const blocks = makeBlockEvents(1, 15);
        const tails = range(0, 3).map(() => startTail(log, { after: 0 }));
        t.after(() => Promise.all(tails.map((tail) => tail.stop())));
        for (const block of blocks) await log.append(block);
        const sentinel = await appendSentinel(log);
        for (const tail of tails) assert.deepEqual(heightsOf(await tail.before(sentinel)), range(1, 16));
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

      test('aborting a waiting tail ends its iteration promptly and without an error', async (t) => {
        const { log } = await open(t);
        await appendAll(log, makeBlockEvents(1, 3));
        const tail = startTail(log, { after: 3 });
        // Once the next block is delivered the tail is past its backlog, waiting for a later one.
        await log.append(makeBlockEvent(4, 0));
        await tail.received(1);
        const started = performance.now();
        await tail.stop();
        assert.ok(performance.now() - started < 500, 'ended within 500 ms');
        assert.deepEqual(heightsOf(tail.blocks), [4]);
      });

      test('a tail with an already aborted signal yields nothing', async (t) => {
        const { log } = await open(t);
        await appendAll(log, makeBlockEvents(1, 3));
        const seen: LogEntry[] = [];
        for await (const entry of log.tailEntries({ after: START, signal: AbortSignal.abort() }))
          seen.push(entry);
        assert.deepEqual(seen, []);
      });

      test('closing the log ends its running tails', async (t) => {
        const { log } = await open(t);
        const tail = startTail(log, { after: 0 });
        await log.append(makeBlockEvent(1, 1));
        await tail.received(1);
        await log.close();
        await waitUntil(() => tail.ended, 1000, 'tail ended by close()');
        assert.deepEqual(heightsOf(tail.blocks), [1]);
        await tail.stop();
      });
    });

    describe('6. Epochs', () => {
      test('the epoch is null until the first append, then the same for every append and duplicate', async (t) => {
        const { log, peer } = await open(t);
        assert.equal(await log.epoch(), null);
        const blocks = makeBlockEvents(1, 3);
        const first = await log.append(blocks[0]!);
        assert.equal(typeof first.epoch, 'string');
        assert.ok(first.epoch.length >= 8, `an epoch of some entropy, got ${first.epoch}`);
        assert.equal(await log.epoch(), first.epoch);
        const later = [await log.append(blocks[1]!), await (await peer()).append(blocks[2]!)];
        const duplicate = await log.append(blocks[1]!);
        assert.deepEqual(
          [...later, duplicate].map((result) => result.epoch),
          [first.epoch, first.epoch, first.epoch],
        );
        assert.equal(await (await peer()).epoch(), first.epoch);
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

      test('a tail given the current epoch delivers as usual', async (t) => {
        const { log } = await open(t);
        const { epoch } = await log.append(makeBlockEvent(1, 1));
        const tail = startTail(log, { after: 0, epoch });
        t.after(() => tail.stop());
        await log.append(makeBlockEvent(2, 1));
        await tail.received(2);
        const settled = await tail.settled();
        assert.deepEqual(heightsOf(settled), [1, 2]);
        assert.equal(tail.failure, undefined);
      });

      test('a tail given another epoch ends with LogResetError naming the current epoch and top', async (t) => {
        const { log } = await open(t);
        await appendAll(log, makeBlockEvents(1, 4));
        const current = await log.epoch();
        const tail = startTail(log, { after: 2, epoch: 'an-epoch-of-another-history' });
        const failure = await tail.failed();
        assert.ok(failure instanceof LogResetError, `a LogResetError, got ${String(failure)}`);
        assert.equal(failure.kind, 'reset');
        assert.equal(failure.epoch, current);
        assert.equal(failure.last, 4);
        assert.deepEqual(tail.blocks, [], 'nothing of the other history is delivered');
        await assert.rejects(tail.stop(), LogResetError);
      });

      test('a tail given an epoch on a log that has none yet ends with LogResetError and a null epoch', async (t) => {
        const { log } = await open(t);
        const failure = await startTail(log, { after: 7, epoch: 'an-epoch-of-another-history' }).failed();
        assert.ok(failure instanceof LogResetError);
        assert.deepEqual([failure.kind, failure.epoch, failure.last], ['reset', null, null]);
      });

      test('a tail started on an empty log takes the epoch of the first append and keeps delivering', async (t) => {
        const { log } = await open(t);
        // 'latest' is the top when tailEntries() is called: an append right after it is delivered.
        const tail = startTail(log, { after: 'latest' });
        t.after(() => tail.stop());
        await appendAll(log, makeBlockEvents(1, 3));
        await tail.received(3);
        const settled = await tail.settled();
        assert.deepEqual(heightsOf(settled), [1, 2, 3]);
        assert.equal(tail.failure, undefined);
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
    });
  });
}

/** Asserts `append` is refused with `code`, naming `expectedHeight` as the next one. */
export async function assertRefused(
  append: Promise<unknown>,
  code: AppendRefusal,
  expectedHeight: number,
): Promise<void> {
  await assert.rejects(append, (error: unknown) => {
    assert.ok(error instanceof AppendRefusedError, `an AppendRefusedError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.expectedHeight, expectedHeight);
    return true;
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

function positionsOf(entries: LogEntry[]): string[] {
  return entries.map((entry) => formatPosition(entryPosition(entry)));
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
