/**
 * The EventLog contract (architecture §4), run against every implementation: each runner passes a
 * factory that opens a fresh, empty log and says how to look at its store directly.
 */

import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { makeBlockEvent, makeBlockEvents, waitUntil } from '@blockcast/devkit';
import {
  type AppendRefusal,
  AppendRefusedError,
  type EventLog,
  LogResetError,
  type TrimMode,
} from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';
import { appendAll, appendSentinel, heightsOf, range, startTail } from './tail-recorder.js';

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
      assert.deepEqual(await log.read(1, 10), blocks);
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

    test('reads a height range with a limit, clipped to what the log holds', async (t) => {
      const { log } = await open(t);
      await appendAll(log, makeBlockEvents(1, 10));
      assert.deepEqual(heightsOf(await log.read(3, 4)), [3, 4, 5, 6]);
      assert.deepEqual(heightsOf(await log.read(8, 100)), [8, 9, 10]);
      assert.deepEqual(heightsOf(await log.read(-5, 2)), [1, 2]);
      assert.deepEqual(await log.read(11, 5), []);
      assert.deepEqual(await log.read(3, 0), []);
    });

    test('bounds are null when empty, then the first and last heights', async (t) => {
      const { log } = await open(t, { firstHeight: 41 });
      assert.equal(await log.bounds(), null);
      await appendAll(log, makeBlockEvents(41, 3));
      assert.deepEqual(await log.bounds(), { first: 41, last: 43 });
    });

    test('ping answers true while the store is reachable', async (t) => {
      const { log } = await open(t);
      assert.equal(await log.ping(), true);
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
      assert.equal((await log.read(3, 1))[0]?.digest, block.digest);
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
      assert.deepEqual(await log.read(1, 100), blocks);
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
      assert.deepEqual(await log.read(1, 10), blocks);
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

    test('exact retention keeps exactly the newest N blocks', async (t) => {
      const { log, storedHeights } = await open(t, { retainBlocks: 10, trim: 'exact' });
      await appendAll(log, makeBlockEvents(1, 35));
      assert.deepEqual(await storedHeights(), range(26, 36));
      assert.deepEqual(await log.bounds(), { first: 26, last: 35 });
      assert.deepEqual(heightsOf(await log.read(1, 100)), range(26, 36));
    });

    test('approximate retention keeps at least N blocks and at most one storage node more', async (t) => {
      const retainBlocks = 10;
      const slack = await implementation.approximateSlack();
      const { log, storedHeights } = await open(t, { retainBlocks, trim: 'approximate' });
      const appended = retainBlocks + 3 * Math.max(slack, 10);
      await appendAll(log, makeBlockEvents(1, appended, { rejected: 0 }));
      const kept = await storedHeights();
      assert.ok(kept.length >= retainBlocks, `kept ${kept.length}, at least ${retainBlocks}`);
      assert.ok(kept.length <= retainBlocks + slack, `kept ${kept.length}, at most ${retainBlocks + slack}`);
      assert.deepEqual(kept, range(appended - kept.length + 1, appended + 1));
      assert.deepEqual(await log.bounds(), { first: appended - kept.length + 1, last: appended });
    });

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
      assert.deepEqual(settled, blocks.slice(2));
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
      const seen: BlockEvent[] = [];
      for await (const block of log.tail({ after: 0, signal: AbortSignal.abort() })) seen.push(block);
      assert.deepEqual(seen, []);
    });

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
      // 'latest' is the top when tail() is called: an append right after it is delivered.
      const tail = startTail(log, { after: 'latest' });
      t.after(() => tail.stop());
      await appendAll(log, makeBlockEvents(1, 3));
      await tail.received(3);
      const settled = await tail.settled();
      assert.deepEqual(heightsOf(settled), [1, 2, 3]);
      assert.equal(tail.failure, undefined);
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
