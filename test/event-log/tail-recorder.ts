/** Records what a tail delivers while a test appends, so tests assert on the exact sequence. */
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '@blockcast/devkit';
import type { EntryTailOptions, EventLog, TailOptions } from '@blockcast/event-log';
import type { BlockEvent, LogEntry } from '@blockcast/protocol';

/** Long enough for a duplicate or an out-of-order block to show up before the assertion. */
const SETTLE_MS = 150;

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
  /** Waits a little, so anything delivered twice or late is in `items` before asserting. */
  settle(): Promise<void>;
  /** Aborts the tail and waits for the iteration to end; rethrows if it failed. Idempotent. */
  stop(): Promise<void>;
}

export interface TailRecorder extends Recorder<BlockEvent> {
  /** The same array as `items`. */
  readonly blocks: BlockEvent[];
}

/** Starts iterating `log.tail()` now: `tail()` itself is called before this returns. */
export function startTail(log: EventLog, options: Omit<TailOptions, 'signal'>): TailRecorder {
  const controller = new AbortController();
  const recorder = record(log.tail({ ...options, signal: controller.signal }), controller);
  return Object.assign(recorder, { blocks: recorder.items });
}

/** Starts iterating `log.tailEntries()` now: blocks and generic events. */
export function startEntryTail(log: EventLog, options: Omit<EntryTailOptions, 'signal'>): Recorder<LogEntry> {
  const controller = new AbortController();
  return record(log.tailEntries({ ...options, signal: controller.signal }), controller);
}

function record<T>(iterable: AsyncIterable<T>, controller: AbortController): Recorder<T> {
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
    settle: () => delay(SETTLE_MS),
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

export async function appendAll(log: EventLog, blocks: BlockEvent[]): Promise<void> {
  for (const block of blocks) await log.append(block);
}

export function heightsOf(blocks: BlockEvent[]): number[] {
  return blocks.map((block) => block.height);
}

/** Integers from `start` up to, not including, `end`. */
export function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
