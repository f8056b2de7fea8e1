import type { EventLog } from '@blockcast/event-log';
import type { LogEntry, Position } from '@blockcast/protocol';
import { type EntryFrames, EntryRing, type HeldEntry, type RingLimits } from './entry-ring.js';
import { heldAfter, type LoadedHistory, LogBatches } from './log-batches.js';

export interface HistoryOptions {
  ring: RingLimits;
  log: Pick<EventLog, 'readEntries'>;
  /** Entries per Redis read. */
  entriesPerRead: number;
  /** Reads start after a multiple of this height, so sockets near each other share them. */
  alignHeights: number;
  /** Log batches kept after they were read. */
  cachedBatches: number;
  onRead(entries: number): void;
}

/** An entry at hand and where it came from. */
export interface EntryAtHand extends EntryFrames {
  source: 'ring' | 'log';
}

/**
 * Every entry a socket may still be sent: the recent ones in memory (the ring), the older ones
 * in the event log. One owner of "is everything after this position still held": in memory when
 * the ring covers it, else by `heldAfter` against the log's oldest entry. Cleared as one.
 */
export class History {
  readonly #ring: EntryRing;
  readonly #log: LogBatches;

  constructor(options: HistoryOptions) {
    this.#ring = new EntryRing(options.ring);
    this.#log = new LogBatches(options);
  }

  /** Blocks held in memory. */
  get blocksInMemory(): number {
    return this.#ring.size;
  }

  /** Appends the entry just read from the log (in bus order); its frames are built on it once. */
  push(entry: LogEntry): HeldEntry {
    return this.#ring.push(entry);
  }

  /** The frames of `key` for an entry pushed here, built by `build` the first time. */
  framesOf<E extends LogEntry>(
    held: HeldEntry,
    key: string,
    build: (entry: E) => readonly string[],
  ): readonly string[] {
    return this.#ring.framesOf(held, key, build);
  }

  /** Everything after `position` is held in memory: a resume from it needs no log read. */
  inMemory(position: Position): boolean {
    return this.#ring.covers(position);
  }

  /** Everything after `position` that a reader (`withEvents` or not) needs is held, the log's oldest entry being `first`. */
  heldAfter(position: Position, first: Position, withEvents: boolean): boolean {
    return heldAfter(position, first, withEvents);
  }

  /**
   * The entry after `cursor` with the frames of `key`, when it is at hand (ring, else a loaded log
   * batch) and provably the next one; `withEvents`: the reader receives generic events.
   */
  entryAfter(
    cursor: Position,
    key: string,
    build: (entry: LogEntry) => readonly string[],
    withEvents: boolean,
  ): EntryAtHand | undefined {
    const fromRing = this.#ring.after(cursor, key, build);
    if (fromRing !== undefined) return { ...fromRing, source: 'ring' };
    const fromLog = this.#log.entryAfter(cursor, key, build, withEvents);
    return fromLog === undefined ? undefined : { ...fromLog, source: 'log' };
  }

  /** Reads the log's entries after `cursor` (see `LogBatches.load`), or says they are gone. */
  load(cursor: Position, withEvents: boolean): Promise<LoadedHistory> {
    return this.#log.load(cursor, withEvents);
  }

  /** The position of the oldest entry the log holds now (undefined: it holds none). */
  firstRetained(): Promise<Position | undefined> {
    return this.#log.firstRetained();
  }

  /** After a reset the old history is another chain's: memory and cached log reads go together. */
  clear(): void {
    this.#ring.clear();
    this.#log.clear();
  }
}
