import { withDeadline } from '@blockcast/common';
import type { LogEntry, Position } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { LogResetError } from './log-reset-error.js';
import type { LogKeys, LogState } from './log-state.js';
import { decodeLogEntry, positionId, type StreamEntry } from './stream-entry.js';
import { type HistoryChange, STALL_GRACE_MS, StreamReader } from './stream-reader.js';

export interface StreamTailOptions {
  /**
   * Opens a dedicated connection that does not reconnect by itself: a blocked XREAD holds its
   * connection for up to `blockMs`, and every reconnect must be seen here to check the epoch.
   */
  connect(): Redis;
  keys: LogKeys;
  /** What is already seen; undefined for the last entry in `start` ('latest'). */
  after: Position | undefined;
  /**
   * The state read when the tail was asked for (asked about `after`), or undefined if that read
   * failed (read again then).
   */
  start: Promise<LogState | undefined>;
  /** The epoch `after` belongs to; undefined for the one in `start`. */
  epoch: string | undefined;
  signal: AbortSignal;
  batchSize: number;
  blockMs: number;
  /** Every error the tail recovers from. */
  onError(error: unknown): void;
}

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/** Entries to yield, each with its ID, and the cursor after the whole read (foreign entries move it too). */
interface Batch {
  entries: { id: string; entry: LogEntry }[];
  cursor: string | undefined;
}

/**
 * Plain `XREAD BLOCK` from the last entry yielded — never `$`, never a consumer group — so a
 * reconnect, a failover or a killed connection resumes exactly where it stopped: every entry
 * once, in order. The epoch and the top are checked on every new connection and whenever a
 * blocked XREAD comes back empty (an XREAD from the old cursor sees nothing of a recreated or
 * rolled-back stream), so a reset or rollback ends the tail with {@link LogResetError} within
 * about `blockMs`; every entry read is checked to follow the one before (its `prev` is that
 * entry's chain), so new entries written where a rollback lost others end it at once. Entries
 * blockcast did not write are skipped. Ends without error when `signal` aborts.
 */
export async function* tailStream(options: StreamTailOptions): AsyncGenerator<LogEntry> {
  const tail = new StreamTail(options);
  try {
    yield* tail.run();
  } finally {
    tail.disconnect();
  }
}

class StreamTail {
  readonly #options: StreamTailOptions;
  readonly #reader: StreamReader;
  /** The stream ID read after; undefined until the start state gives the top ('latest'). */
  #cursor: string | undefined;
  #start: Promise<LogState | undefined> | undefined;

  constructor(options: StreamTailOptions) {
    this.#options = options;
    this.#reader = new StreamReader(options);
    this.#cursor = options.after === undefined ? undefined : positionId(options.after);
    if (this.#cursor !== undefined) this.#reader.watch.startAfter(this.#cursor, '');
    this.#start = options.start;
  }

  async *run(): AsyncGenerator<LogEntry> {
    const { signal } = this.#options;
    while (!signal.aborted) {
      const batch = await this.#reader.read((connection, fresh) => this.#nextBatch(connection, fresh));
      if (batch === undefined) return;
      for (const { id, entry } of batch.entries) {
        this.#cursor = id;
        yield entry;
        if (signal.aborted) return;
      }
      if (batch.cursor !== undefined) this.#cursor = batch.cursor;
    }
  }

  disconnect(): void {
    this.#reader.disconnect();
  }

  async #nextBatch(connection: Redis, fresh: boolean): Promise<Batch> {
    if (fresh) await this.#checkStart(connection);
    const { keys, batchSize, blockMs } = this.#options;
    const cursor = this.#cursor ?? '0-0';
    const read = connection.xread(
      'COUNT',
      batchSize,
      'BLOCK',
      blockMs,
      'STREAMS',
      keys.stream,
      cursor,
    ) as Promise<XReadReply>;
    const entries = (await withDeadline(read, blockMs + STALL_GRACE_MS, 'tail XREAD'))?.[0]?.[1] ?? [];
    if (entries.length === 0)
      this.#end(await this.#reader.judge(connection, await this.#reader.readState(connection)));
    const batch: Batch = { entries: [], cursor: undefined };
    for (const streamEntry of entries) {
      const [id] = streamEntry;
      batch.cursor = id;
      const entry = decodeLogEntry(streamEntry);
      if (entry === undefined) continue;
      this.#end(await this.#reader.check(connection, streamEntry));
      this.#reader.took(streamEntry);
      batch.entries.push({ id, entry });
    }
    return batch;
  }

  /** A new connection: checks the log's state (first the start state), and places 'latest' at its top. */
  async #checkStart(connection: Redis): Promise<void> {
    const early = await this.#start;
    this.#start = undefined;
    const state = early ?? (await this.#reader.readState(connection));
    this.#end(await this.#reader.judge(connection, state));
    if (this.#cursor === undefined) {
      this.#cursor = positionId({ height: state.top, seq: state.topSeq });
      this.#reader.watch.startAfter(this.#cursor, state.topChain);
    }
  }

  /** A changed history ends the tail. */
  #end(change: HistoryChange | undefined): void {
    if (change === undefined) return;
    const { state } = change;
    throw new LogResetError(change.cause, state.epoch, state.top === 0 ? null : state.top);
  }
}
