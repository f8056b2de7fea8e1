import { DEFAULT_FIRST_HEIGHT, DEFAULT_RETAIN_BLOCKS, linkedAbort } from '@blockcast/common';
import {
  type BlockEvent,
  blockEntry,
  type EventEntry,
  entryPosition,
  firstAfter,
  type LogEntry,
  oldestBlockFrom,
  type Position,
} from '@blockcast/protocol';
import { assertBlockHeight, assertPosition, assertReadLimit } from './block-height.js';
import {
  decodeEvent,
  type EmitLimits,
  emitLimits,
  encodeEvent,
  idempotencyConflict,
  prepareEmit,
  tooManyEvents,
} from './emit-options.js';
import { newEpoch } from './epoch.js';
import {
  AppendRefusedError,
  type AppendResult,
  type EmitRequest,
  type EmitResult,
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

/** An idempotency key's memory: the event it made, until `expiresAt`. */
interface Remembered {
  digest: string;
  event: EventEntry;
  expiresAt: number;
}

/**
 * The {@link EventLog} contract inside one process: the embedded default for `npm start` and
 * unit tests. Not a substitute for Redis in integration tests (architecture §4). Trimming is exact.
 *
 * Entries are stored as frozen copies, so neither the writer nor a reader can change what
 * other readers see.
 */
export class MemoryLog implements EventLog {
  readonly #retain: number;
  readonly #firstHeight: number;
  readonly #limits: EmitLimits;
  /** Retained entries are `#entries[#head…]`, ascending by position, as a Redis stream holds them. */
  #entries: (LogEntry | undefined)[] = [];
  #head = 0;
  /** Made by the first append or emit; a log in memory is never recreated, so it never changes. */
  #epoch: string | null = null;
  /** Idempotency keys in the order they were set, which is also the order they expire in. */
  readonly #remembered = new Map<string, Remembered>();
  /** Tails waiting for the next write. */
  readonly #waiting = new Set<() => void>();
  /** Aborts every tail when the log closes. */
  readonly #tails = new Set<() => void>();

  constructor(options: MemoryLogOptions = {}) {
    this.#retain = options.retainBlocks ?? DEFAULT_RETAIN_BLOCKS;
    assertRetainBlocks(this.#retain);
    this.#firstHeight = options.firstHeight ?? DEFAULT_FIRST_HEIGHT;
    assertFirstHeight(this.#firstHeight);
    this.#limits = emitLimits(options);
  }

  async append(block: BlockEvent): Promise<AppendResult> {
    assertBlockHeight(block.height);
    // The top is the last entry's height, events included, exactly as the Redis script reads it.
    const top = this.#last()?.height;
    if (top === undefined && block.height !== this.#firstHeight) {
      throw new AppendRefusedError('HEIGHT_GAP', block.height, this.#firstHeight);
    }
    if (top === undefined || block.height === top + 1) {
      this.#write(blockEntry(block));
      this.#trim(block.height);
      return { status: 'appended', height: block.height, epoch: this.#epoch ?? '' };
    }
    const expected = top + 1;
    if (block.height > expected) throw new AppendRefusedError('HEIGHT_GAP', block.height, expected);
    const stored = this.#entries[this.#indexOf({ height: block.height, seq: 0 })];
    if (stored === undefined || stored.height !== block.height || stored.kind !== 'block') {
      throw new AppendRefusedError('HEIGHT_BEYOND_RETENTION', block.height, expected);
    }
    if (stored.digest !== block.digest)
      throw new AppendRefusedError('HEIGHT_CONFLICT', block.height, expected);
    return { status: 'duplicate', height: block.height, epoch: this.#epoch ?? newEpoch() };
  }

  async emit(request: EmitRequest): Promise<EmitResult> {
    const prepared = prepareEmit(request, this.#limits);
    const now = Date.now();
    this.#forgetExpired(now);
    const key = request.idempotencyKey;
    const seen = key === undefined ? undefined : this.#remembered.get(key);
    if (key !== undefined && seen !== undefined) {
      if (seen.digest !== prepared.digest) throw idempotencyConflict(key, entryPosition(seen.event));
      return { status: 'duplicate', event: seen.event, epoch: this.#epoch ?? '' };
    }
    const last = this.#last();
    const position =
      last === undefined
        ? { height: this.#firstHeight - 1, seq: 1 }
        : { height: last.height, seq: entryPosition(last).seq + 1 };
    if (position.seq > this.#limits.maxEventsPerHeight) throw tooManyEvents(position.height, this.#limits);
    // Through the same JSON as the Redis script writes, so both logs hand out identical events.
    const event = decodeEvent(encodeEvent(prepared, position));
    const stored = this.#write(event) as EventEntry;
    if (key !== undefined) {
      const expiresAt = now + this.#limits.idempotencyWindowMs;
      this.#remembered.set(key, { digest: prepared.digest, event: stored, expiresAt });
    }
    return { status: 'appended', event: stored, epoch: this.#epoch ?? '' };
  }

  async epoch(): Promise<string | null> {
    return this.#epoch;
  }

  async readEntries(after: Position, limit: number, epoch?: string): Promise<LogEntry[]> {
    assertPosition(after);
    assertReadLimit(limit);
    // It never resets: only an epoch it never had is another history.
    if (epoch !== undefined && epoch !== this.#epoch) {
      throw new LogResetError('reset', this.#epoch, this.#bounds()?.last ?? null);
    }
    return this.#entriesAfter(after, limit);
  }

  tailEntries(options: TailOptions): AsyncIterable<LogEntry> {
    // 'latest' means the top when tailEntries() is called, so a write right after the call is delivered.
    const last = this.#last();
    const after =
      options.after !== 'latest'
        ? options.after
        : last === undefined
          ? { height: 0, seq: 0 }
          : entryPosition(last);
    assertPosition(after);
    return this.#follow(after, options);
  }

  async bounds(): Promise<LogBounds | null> {
    return this.#bounds();
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Ends every tail. The entries stay readable: nothing else is owned. */
  async close(): Promise<void> {
    for (const end of [...this.#tails]) end();
  }

  async *#follow(after: Position, options: Omit<TailOptions, 'after'>): AsyncGenerator<LogEntry> {
    const outer = options.signal;
    // Checked when iteration starts, as a Redis tail does: a cursor of another history reads nothing.
    if (options.epoch !== undefined && options.epoch !== this.#epoch && !outer.aborted) {
      throw new LogResetError('reset', this.#epoch, this.#bounds()?.last ?? null);
    }
    const batchSize = options.batchSize ?? DEFAULT_TAIL_BATCH;
    const stop = linkedAbort(outer);
    this.#tails.add(stop.abort);
    try {
      let cursor = after;
      while (!stop.signal.aborted) {
        const batch = this.#entriesAfter(cursor, batchSize);
        if (batch.length === 0) {
          await this.#nextWrite(stop.signal);
          continue;
        }
        for (const entry of batch) {
          cursor = entryPosition(entry);
          yield entry;
          if (stop.signal.aborted) return;
        }
      }
    } finally {
      stop.dispose();
      this.#tails.delete(stop.abort);
    }
  }

  /** Resolves on the next write or when `signal` aborts: tails sleep instead of polling. */
  #nextWrite(signal: AbortSignal): Promise<void> {
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

  #write(entry: LogEntry): LogEntry {
    const stored = deepFreeze(structuredClone(entry));
    this.#entries.push(stored);
    this.#epoch ??= newEpoch();
    for (const wake of [...this.#waiting]) wake();
    return stored;
  }

  #forgetExpired(now: number): void {
    for (const [key, remembered] of this.#remembered) {
      if (remembered.expiresAt > now) return;
      this.#remembered.delete(key);
    }
  }

  #last(): LogEntry | undefined {
    return this.#entries.length > this.#head ? this.#entries[this.#entries.length - 1] : undefined;
  }

  /**
   * Blocks only: a log holding nothing but the events emitted before its first block has no bounds.
   * Retained entries are a suffix of everything written, so an event first means its block is gone.
   */
  #bounds(): LogBounds | null {
    const first = this.#entries[this.#head];
    const last = this.#last();
    if (first === undefined || last === undefined) return null;
    const bounds = { first: oldestBlockFrom(entryPosition(first)), last: last.height };
    return bounds.first > bounds.last ? null : bounds;
  }

  /** The index of the first retained entry at or after `position`. */
  #indexOf(position: Position): number {
    const before = { height: position.height, seq: position.seq - 1 };
    return firstAfter(this.#entries, before, (entry) => entryPosition(entry!), this.#head);
  }

  #entriesAfter(after: Position, limit: number): LogEntry[] {
    if (limit <= 0) return [];
    const start = this.#indexOf({ height: after.height, seq: after.seq + 1 });
    return this.#entries.slice(start, start + limit) as LogEntry[];
  }

  /** As Redis `MINID = <top − retain + 1>-0`: a trimmed height's events go with its block. */
  #trim(top: number): void {
    const minimum = top - this.#retain + 1;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.height < minimum) {
      this.#entries[this.#head] = undefined;
      this.#head++;
    }
    // Dropping dead slots only when they are the majority keeps writes amortised O(1).
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
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
