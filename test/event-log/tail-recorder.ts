/** Records what a tail delivers while a test appends, so tests assert on the exact sequence. */
import assert from 'node:assert/strict';
import { makeBlockEvent, waitUntil } from '@blockcast/devkit';
import type { EventLog, TailOptions } from '@blockcast/event-log';
import {
  type BlockEntry,
  type BlockEvent,
  blockEntry,
  type LogEntry,
  type Position,
} from '@blockcast/protocol';

export interface Recorder<T> {
  /** Everything delivered so far, in delivery order. */
  readonly items: T[];
  /** True once the iteration has finished (aborted, closed or failed). */
  readonly ended: boolean;
  /** What the iteration threw, once it has; undefined while running or after a clean end. */
  readonly failure: unknown;
  /** Waits until the iteration has thrown and answers what it threw. */
  failed(timeoutMs?: number): Promise<unknown>;
  /** Waits until at least `count` items arrived. */
  received(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Proves nothing more is on its way, then answers everything delivered before the proof: appends
   * a sentinel block on top of the log and waits for it. A tail delivers in log order, so whatever
   * was appended before the sentinel — a duplicate or a late block included — arrives before it.
   */
  settled(): Promise<T[]>;
  /** Waits for the sentinel block `height` (from `appendSentinel`) and answers what came before it. */
  before(height: number): Promise<T[]>;
  /** Aborts the tail and waits for the iteration to end; rethrows if it failed. Idempotent. */
  stop(): Promise<void>;
}

export interface TailRecorder extends Recorder<BlockEntry> {
  /** The same array as `items`. */
  readonly blocks: BlockEntry[];
}

/** Starts `log.tailEntries()` now after block `after` (or 'latest'), recording its blocks only. */
export function startTail(
  log: EventLog,
  options: Omit<TailOptions, 'signal' | 'after'> & { after: number | 'latest' },
): TailRecorder {
  const controller = new AbortController();
  const after = options.after === 'latest' ? 'latest' : atHeight(Math.max(0, options.after));
  const recorder = record(
    log,
    blocksOf(log.tailEntries({ ...options, after, signal: controller.signal })),
    controller,
  );
  return Object.assign(recorder, { blocks: recorder.items });
}

/** Starts iterating `log.tailEntries()` now: blocks and generic events. */
export function startEntryTail(log: EventLog, options: Omit<TailOptions, 'signal'>): Recorder<LogEntry> {
  const controller = new AbortController();
  return record(log, log.tailEntries({ ...options, signal: controller.signal }), controller);
}

function record<T extends LogEntry>(
  log: EventLog,
  iterable: AsyncIterable<T>,
  controller: AbortController,
): Recorder<T> {
  const items: T[] = [];
  let ended = false;
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const item of iterable) items.push(item);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      ended = true;
    }
  })();
  done.catch(() => {});
  const before = async (height: number) => {
    const isSentinel = (item: T) => item.kind === 'block' && item.height === height;
    await waitUntil(() => items.some(isSentinel), 5000, `the sentinel block ${height} from the tail`);
    assert.equal(items.findIndex(isSentinel), items.length - 1, 'the sentinel block came last, once');
    return items.slice(0, -1);
  };
  return {
    items,
    get ended() {
      return ended;
    },
    get failure() {
      return failure;
    },
    failed: async (timeoutMs = 5000) => {
      await waitUntil(() => failure !== undefined, timeoutMs, 'the tail to fail');
      return failure;
    },
    received: (count, timeoutMs = 5000) =>
      waitUntil(() => items.length >= count, timeoutMs, `${count} items from the tail (got ${items.length})`),
    settled: async () => before(await appendSentinel(log)),
    before,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

async function* blocksOf(entries: AsyncIterable<LogEntry>): AsyncGenerator<BlockEntry> {
  for await (const entry of entries) if (entry.kind === 'block') yield entry;
}

/** Block `height`'s position. */
export function atHeight(height: number): Position {
  return { height, seq: 0 };
}

/** Blocks with `height >= fromHeight`, ascending, at most `limit`, read with readEntries. */
export async function readBlocks(log: EventLog, fromHeight: number, limit: number): Promise<BlockEntry[]> {
  const blocks: BlockEntry[] = [];
  // After every event of the height before: the first entry read is block `fromHeight` or later.
  let after: Position = { height: Math.max(0, fromHeight - 1), seq: Number.MAX_SAFE_INTEGER };
  while (blocks.length < limit) {
    const page = await log.readEntries(after, 100);
    if (page.length === 0) break;
    for (const entry of page) if (entry.kind === 'block' && blocks.length < limit) blocks.push(entry);
    const last = page.at(-1)!;
    after = { height: last.height, seq: last.kind === 'event' ? last.seq : 0 };
  }
  return blocks;
}

/** Blocks as the log hands them back: tagged entries. */
export function tagged(blocks: BlockEvent[]): BlockEntry[] {
  return blocks.map(blockEntry);
}

/** Appends an empty block on top of the log, for `Recorder.before`; answers its height. */
export async function appendSentinel(log: EventLog): Promise<number> {
  const height = ((await log.bounds())?.last ?? 0) + 1;
  await log.append(makeBlockEvent(height, 0));
  return height;
}

export async function appendAll(log: EventLog, blocks: BlockEvent[]): Promise<void> {
  for (const block of blocks) await log.append(block);
}

export function heightsOf(blocks: readonly LogEntry[]): number[] {
  return blocks.map((block) => block.height);
}

/** Integers from `start` up to, not including, `end`. */
export function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
