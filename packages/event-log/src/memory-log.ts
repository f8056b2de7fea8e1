import { DEFAULT_FIRST_HEIGHT, DEFAULT_RETAIN_BLOCKS, linkedAbort } from '@blockcast/common';
import type { BlockEvent } from '@blockcast/protocol';
import { assertBlockHeight, assertCursor, assertReadRange } from './block-height.js';
import { newEpoch } from './epoch.js';
import {
  AppendRefusedError,
  type AppendResult,
  type EventLog,
  type EventLogOptions,
  type LogBounds,
  type TailOptions,
} from './event-log.js';
import { assertFirstHeight, assertRetainBlocks, DEFAULT_TAIL_BATCH } from './log-options.js';
import { LogResetError } from './log-reset-error.js';

export interface MemoryLogOptions extends EventLogOptions {}

/** Below this many dead slots compaction is not worth a copy. */
const COMPACT_AFTER = 1024;

/**
 * The {@link EventLog} contract inside one process: the embedded default for `npm start` and
 * unit tests. Not a substitute for Redis in integration tests (architecture §4). Trimming is exact.
 *
 * Blocks are stored as frozen copies, so neither the appender nor a reader can change what
 * other readers see.
 */
export class MemoryLog implements EventLog {
  readonly #retain: number;
  readonly #firstHeight: number;
  /** Retained blocks are `#blocks[#head…]`; heights are contiguous, so a height's slot is arithmetic. */
  #blocks: (BlockEvent | undefined)[] = [];
  #head = 0;
  /** Made by the first append; a log in memory is never recreated, so it never changes. */
  #epoch: string | null = null;
  /** Tails waiting for the next append. */
  readonly #waiting = new Set<() => void>();
  /** Aborts every tail when the log closes. */
  readonly #tails = new Set<() => void>();

  constructor(options: MemoryLogOptions = {}) {
    this.#retain = options.retainBlocks ?? DEFAULT_RETAIN_BLOCKS;
    assertRetainBlocks(this.#retain);
    this.#firstHeight = options.firstHeight ?? DEFAULT_FIRST_HEIGHT;
    assertFirstHeight(this.#firstHeight);
  }

  async append(block: BlockEvent): Promise<AppendResult> {
    assertBlockHeight(block.height);
    const bounds = this.#bounds();
    if (bounds === null && block.height !== this.#firstHeight) {
      throw new AppendRefusedError('HEIGHT_GAP', block.height, this.#firstHeight);
    }
    if (bounds === null || block.height === bounds.last + 1) {
      this.#blocks.push(deepFreeze(structuredClone(block)));
      this.#epoch ??= newEpoch();
      this.#trim();
      for (const wake of [...this.#waiting]) wake();
      return { status: 'appended', height: block.height, epoch: this.#epoch };
    }
    const expected = bounds.last + 1;
    if (block.height > expected) throw new AppendRefusedError('HEIGHT_GAP', block.height, expected);
    const stored = this.#at(block.height);
    if (stored === undefined) throw new AppendRefusedError('HEIGHT_BEYOND_RETENTION', block.height, expected);
    if (stored.digest !== block.digest)
      throw new AppendRefusedError('HEIGHT_CONFLICT', block.height, expected);
    return { status: 'duplicate', height: block.height, epoch: this.#epoch ?? newEpoch() };
  }

  async epoch(): Promise<string | null> {
    return this.#epoch;
  }

  async read(fromHeight: number, limit: number): Promise<BlockEvent[]> {
    assertReadRange(fromHeight, limit);
    return this.#slice(fromHeight, limit);
  }

  tail(options: TailOptions): AsyncIterable<BlockEvent> {
    // 'latest' means the top when tail() is called, so an append right after the call is delivered.
    const after = options.after === 'latest' ? (this.#bounds()?.last ?? 0) : options.after;
    assertCursor(after);
    return this.#follow(after, options.epoch, options.signal, options.batchSize ?? DEFAULT_TAIL_BATCH);
  }

  async bounds(): Promise<LogBounds | null> {
    return this.#bounds();
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Ends every tail. The blocks stay readable: nothing else is owned. */
  async close(): Promise<void> {
    for (const end of [...this.#tails]) end();
  }

  async *#follow(
    after: number,
    epoch: string | undefined,
    outer: AbortSignal,
    batchSize: number,
  ): AsyncGenerator<BlockEvent> {
    // Checked when iteration starts, as a Redis tail does: a cursor of another history reads nothing.
    if (epoch !== undefined && epoch !== this.#epoch && !outer.aborted) {
      throw new LogResetError('reset', this.#epoch, this.#bounds()?.last ?? null);
    }
    const stop = linkedAbort(outer);
    this.#tails.add(stop.abort);
    try {
      let cursor = after;
      while (!stop.signal.aborted) {
        const batch = this.#slice(cursor + 1, batchSize);
        if (batch.length === 0) {
          await this.#nextAppend(stop.signal);
          continue;
        }
        for (const block of batch) {
          cursor = block.height;
          yield block;
          if (stop.signal.aborted) return;
        }
      }
    } finally {
      stop.dispose();
      this.#tails.delete(stop.abort);
    }
  }

  /** Resolves on the next append or when `signal` aborts: tails sleep instead of polling. */
  #nextAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiting.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiting.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  #bounds(): LogBounds | null {
    const first = this.#blocks[this.#head];
    const last = this.#blocks[this.#blocks.length - 1];
    return first === undefined || last === undefined ? null : { first: first.height, last: last.height };
  }

  #at(height: number): BlockEvent | undefined {
    const first = this.#blocks[this.#head];
    if (first === undefined || height < first.height) return undefined;
    return this.#blocks[this.#head + (height - first.height)];
  }

  #slice(fromHeight: number, limit: number): BlockEvent[] {
    const first = this.#blocks[this.#head];
    if (first === undefined || limit <= 0) return [];
    const start = this.#head + Math.max(0, fromHeight - first.height);
    return this.#blocks.slice(start, start + limit) as BlockEvent[];
  }

  #trim(): void {
    const retained = this.#blocks.length - this.#head;
    for (let excess = retained - this.#retain; excess > 0; excess--) {
      this.#blocks[this.#head] = undefined;
      this.#head++;
    }
    // Dropping dead slots only when they are the majority keeps append amortised O(1).
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#blocks.length) {
      this.#blocks = this.#blocks.slice(this.#head);
      this.#head = 0;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
}
