import type { EventLog } from '@blockcast/event-log';
import {
  comparePositions,
  continuesAfter,
  entryPosition,
  firstAfter,
  type LogEntry,
  oldestBlockFrom,
  type Position,
} from '@blockcast/protocol';
import type { EntryFrames } from './entry-ring.js';

export interface LogBatchesOptions {
  log: Pick<EventLog, 'readEntries'>;
  /** Entries per Redis read. */
  entriesPerRead: number;
  /** Reads start after a multiple of this height, so sockets near each other share them. */
  alignHeights: number;
  /** Batches kept after they were read. */
  cachedBatches: number;
  onRead(entries: number): void;
}

interface Batch {
  /** The batch is the entries the log held strictly after this position when it was read, in order. */
  after: Position;
  entries: Promise<LogEntry[]>;
  /**
   * The entries once the read has finished, for synchronous access, with their positions.
   * `whole`: the log still held `after` (or what precedes it) after the read, so nothing between
   * `after` and the first entry was trimmed away; otherwise the batch is only known to be a
   * gap-free run from its first entry on.
   */
  settled: { entries: LogEntry[]; positions: Position[]; whole: boolean } | undefined;
  frames: Map<string, readonly string[]>;
}

/** What the log holds after a cursor: entries (none yet: empty), or not all of them any more. */
export type LoadedHistory = { entries: LogEntry[] } | { gone: true; oldest: number | null };

/**
 * The one "still held" rule, at upgrade and at every catch-up step: a run of the log that starts
 * at `first` with nothing missing from there on holds every entry a reader at `cursor` needs next
 * (`withEvents`: the reader receives generic events).
 */
export function heldAfter(cursor: Position, first: Position, withEvents: boolean): boolean {
  return continuesAfter(cursor, first, withEvents);
}

/**
 * The log half of `History`: entries older than the ring, read from the event log in batches
 * that start at aligned heights: concurrent readers of the same range share one XRANGE, and
 * recent batches are kept, so the number of Redis reads grows with the entries replayed, not with
 * the sockets replaying them. A batch is a run of the log with nothing left out from its first
 * entry on; the first of its entries after a cursor is handed out only when nothing before it can
 * have been trimmed away for that cursor (`heldAfter`): a batch read behind the retention
 * edge is no run for the cursors it skipped.
 */
export class LogBatches {
  readonly #options: LogBatchesOptions;
  /** By `after`, insertion-ordered: the first key is the least recently read. */
  readonly #batches = new Map<string, Batch>();

  constructor(options: LogBatchesOptions) {
    this.#options = options;
  }

  /**
   * The entry after `cursor` with the frames of `key`, when a loaded batch holds it and it is
   * provably the next one; `withEvents`: the reader receives generic events.
   */
  entryAfter(
    cursor: Position,
    key: string,
    build: (entry: LogEntry) => readonly string[],
    withEvents: boolean,
  ): EntryFrames | undefined {
    for (const batch of this.#batches.values()) {
      const index = indexAfter(batch, cursor);
      if (index === undefined || !continues(batch, cursor, withEvents)) continue;
      const { entries, positions } = batch.settled!;
      const position = positions[index]!;
      const cacheKey = `${position.height}-${position.seq}|${key}`;
      let frames = batch.frames.get(cacheKey);
      if (frames === undefined) {
        frames = build(entries[index]!);
        batch.frames.set(cacheKey, frames);
      }
      return { position, frames };
    }
    return undefined;
  }

  /**
   * Reads a batch holding the entries after `cursor` (once, however many ask): the aligned one, or,
   * when that one ends before the cursor, one starting at the cursor itself. Resolves with the
   * entries of the log after `cursor` that the batch holds (empty: none yet), or `gone` when the
   * log no longer holds everything after it that a reader (`withEvents` or not) needs.
   */
  async load(cursor: Position, withEvents: boolean): Promise<LoadedHistory> {
    const aligned = this.#alignedAfter(cursor);
    let batch = await this.#loaded(aligned);
    if (
      indexAfter(batch, cursor) === undefined &&
      batch.settled!.entries.length < this.#options.entriesPerRead
    ) {
      // Read when the log ended before the cursor: the log has more by now.
      this.#forget(batch);
      batch = await this.#loaded(aligned);
    }
    if (indexAfter(batch, cursor) === undefined && comparePositions(aligned, cursor) !== 0) {
      batch = await this.#loaded(cursor);
    }
    const index = indexAfter(batch, cursor);
    if (index === undefined) {
      // Nothing after the cursor yet: not kept, so the next reader asks the log again.
      this.#forget(batch);
      return { entries: [] };
    }
    const settled = batch.settled!;
    if (!continues(batch, cursor, withEvents)) {
      const first = await this.firstRetained();
      return { gone: true, oldest: oldestBlockFrom(first ?? settled.positions[0]!) };
    }
    return { entries: settled.entries.slice(index) };
  }

  /** The position of the oldest entry the log holds now (undefined: it holds none). */
  async firstRetained(): Promise<Position | undefined> {
    const [first] = await this.#options.log.readEntries(ORIGIN, 1);
    return first === undefined ? undefined : entryPosition(first);
  }

  /** After a reset the old history is another chain's. */
  clear(): void {
    this.#batches.clear();
  }

  /** The batch of the entries after `after`, read now unless it is loaded or being read. */
  async #loaded(after: Position): Promise<Batch> {
    const at = key(after);
    const batch = this.#batches.get(at) ?? this.#read(after);
    this.#batches.delete(at);
    this.#batches.set(at, batch);
    await batch.entries;
    return batch;
  }

  #forget(batch: Batch): void {
    if (this.#batches.get(key(batch.after)) === batch) this.#batches.delete(key(batch.after));
  }

  #read(after: Position): Batch {
    const batch: Batch = { after, entries: Promise.resolve([]), settled: undefined, frames: new Map() };
    batch.entries = this.#options.log.readEntries(after, this.#options.entriesPerRead).then(async (read) => {
      const positions = read.map(entryPosition);
      const first = positions[0];
      // Trimming only ever moves the log's start on: one still at or before `after` now was then.
      const whole =
        first === undefined ||
        heldAfter(after, first, true) ||
        comparePositions((await this.firstRetained()) ?? first, after) <= 0;
      batch.settled = { entries: read, positions, whole };
      this.#options.onRead(read.length);
      return read;
    });
    // A failed read is forgotten, so the next reader tries again.
    batch.entries.catch(() => this.#forget(batch));
    this.#batches.set(key(after), batch);
    while (this.#batches.size > this.#options.cachedBatches) {
      this.#batches.delete(this.#batches.keys().next().value!);
    }
    return batch;
  }

  /** After the block before the aligned start of the heights the cursor's next entry is in (never past the cursor). */
  #alignedAfter(cursor: Position): Position {
    const size = this.#options.alignHeights;
    const next = cursor.height + 1;
    const start = Math.floor((next - 1) / size) * size + 1;
    return { height: Math.max(0, start - 1), seq: 0 };
  }
}

/** Before every entry: no entry sits at `0-0`. */
const ORIGIN: Position = { height: 0, seq: 0 };

/** Whether the batch's entries after `cursor` are the log's next ones for that reader. */
function continues(batch: Batch, cursor: Position, withEvents: boolean): boolean {
  const { whole, positions } = batch.settled!;
  return whole || heldAfter(cursor, positions[0]!, withEvents);
}

function key(position: Position): string {
  return `${position.height}-${position.seq}`;
}

/** Index of the batch's first entry after `cursor`, when the batch is loaded, starts at or before it and has one. */
function indexAfter(batch: Batch, cursor: Position): number | undefined {
  if (batch.settled === undefined || comparePositions(batch.after, cursor) > 0) return undefined;
  const { positions } = batch.settled;
  const index = firstAfter(positions, cursor, (position) => position);
  return index === positions.length ? undefined : index;
}
