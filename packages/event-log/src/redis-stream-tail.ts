import { ABORTED, sleep, untilAborted, withDeadline } from '@blockcast/common';
import type { BlockEvent, LogEntry, Position } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { newEpoch } from './epoch.js';
import { EpochWatch } from './epoch-watch.js';
import { LogResetError } from './log-reset-error.js';
import { type LogKeys, type LogState, readLogState, switchEpoch } from './log-state.js';
import {
  afterHeightId,
  decodeLogEntry,
  entryChain,
  entryEpoch,
  entryId,
  entryPrev,
  heightOfId,
  isBlockId,
  positionId,
  type StreamEntry,
} from './stream-entry.js';

export interface StreamTailOptions {
  /**
   * Opens a dedicated connection that does not reconnect by itself: a blocked XREAD holds its
   * connection for up to `blockMs`, and every reconnect must be seen here to check the epoch.
   */
  connect(): Redis;
  keys: LogKeys;
  /**
   * What is already seen: a block height (`blocks`: every event is skipped), or a position
   * (`entries`: blocks and events); undefined for the last entry in `start` ('latest').
   */
  after: number | Position | undefined;
  /** `blocks` yields blocks only; `entries` yields every entry. */
  mode: 'blocks' | 'entries';
  /**
   * The state read when the tail was asked for (asked about {@link startEntryId}), or undefined
   * if that read failed (read again then).
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

/** The entry a tail starting after `after` is taken to have read last: its state read asks about it. */
export function startEntryId(after: number | Position | undefined): string | undefined {
  if (after === undefined) return undefined;
  return typeof after === 'number' ? entryId(Math.max(0, after)) : positionId(after);
}

/** Entries to yield, each with the cursor after it, and the cursor after the whole read. */
interface Batch {
  entries: { id: string; entry: LogEntry }[];
  cursor: string | undefined;
}

const FIRST_BACKOFF_MS = 50;
/**
 * An XREAD unanswered this long past its BLOCK time means a dead connection ioredis has not
 * noticed (half-open TCP after a failover): the tail then starts over on a new one.
 */
const STALL_GRACE_MS = 5000;
const MAX_BACKOFF_MS = 1000;

/**
 * Plain `XREAD BLOCK` from the last entry yielded — never `$`, never a consumer group — so a
 * reconnect, a failover or a killed connection resumes exactly where it stopped: every entry
 * once, in order. A blocks-only tail reads after `<height>-<largest seq>`, so it never even
 * fetches the events emitted after a block it has. The epoch and the top are checked on every
 * new connection and whenever a blocked XREAD comes back empty (an XREAD from the old cursor
 * sees nothing of a recreated or rolled-back stream), so a reset or rollback ends the tail with
 * {@link LogResetError} within about `blockMs`. An entry tail also checks that every entry it
 * reads follows the one before (its `prev` is that entry's chain), so new entries written where a
 * rollback lost others end it at once. Ends without error when `signal` aborts.
 */
export function tailStream(options: StreamTailOptions & { mode: 'blocks' }): AsyncGenerator<BlockEvent>;
export function tailStream(options: StreamTailOptions & { mode: 'entries' }): AsyncGenerator<LogEntry>;
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
  readonly #watch: EpochWatch;
  #connection: Redis | undefined;
  /** The stream ID read after; undefined until the start state gives the top ('latest'). */
  #cursor: string | undefined;
  #start: Promise<LogState | undefined> | undefined;

  constructor(options: StreamTailOptions) {
    this.#options = options;
    this.#watch = new EpochWatch(options.epoch);
    this.#cursor = options.after === undefined ? undefined : idAfter(options.after);
    const start = startEntryId(options.after);
    if (start !== undefined) this.#watch.startAfter(start, '');
    this.#start = options.start;
  }

  async *run(): AsyncGenerator<LogEntry> {
    const { signal } = this.#options;
    let failures = 0;
    while (!signal.aborted) {
      let batch: Batch | typeof ABORTED;
      try {
        batch = await untilAborted(this.#nextBatch(), signal);
        failures = 0;
      } catch (error) {
        if (error instanceof LogResetError || signal.aborted) throw error;
        this.#options.onError(error);
        // Start over on a fresh connection: the old one may be half-dead in ways ioredis cannot see.
        this.disconnect();
        failures++;
        await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1)), signal);
        continue;
      }
      if (batch === ABORTED) return;
      for (const { id, entry } of batch.entries) {
        this.#cursor = id;
        yield entry;
        if (signal.aborted) return;
      }
      // Skipped entries move the cursor too, so a run of them is never read again.
      if (batch.cursor !== undefined) this.#cursor = batch.cursor;
    }
  }

  disconnect(): void {
    this.#connection?.disconnect();
    this.#connection = undefined;
  }

  async #nextBatch(): Promise<Batch> {
    const { keys, batchSize, blockMs, mode } = this.#options;
    const connection = await this.#connected();
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
    if (entries.length === 0) await this.#check(await this.#readState(connection));
    const batch: Batch = { entries: [], cursor: undefined };
    for (const entry of entries) {
      const [id] = entry;
      if (mode === 'blocks' && !isBlockId(id)) {
        // An event after a block this tail has: nothing of its height is left to read.
        batch.cursor = afterHeightId(heightOfId(id));
        continue;
      }
      await this.#checkEntryEpoch(connection, entryEpoch(entry));
      // A blocks-only read skips events, so only an entry read links each entry to the one before.
      if (mode === 'entries' && !this.#watch.follows(entryPrev(entry))) await this.#diverged(connection);
      this.#watch.took(id, entryChain(entry));
      const yielded = mode === 'blocks' ? afterHeightId(heightOfId(id)) : id;
      batch.entries.push({ id: yielded, entry: decodeLogEntry(entry) });
      batch.cursor = yielded;
    }
    return batch;
  }

  /** The connection, opened and checked against the log's state (first the start state) when new. */
  async #connected(): Promise<Redis> {
    if (this.#connection !== undefined) return this.#connection;
    const connection = this.#options.connect();
    this.#connection = connection;
    const early = await this.#start;
    this.#start = undefined;
    const state = early ?? (await this.#readState(connection));
    await this.#check(state);
    if (this.#cursor === undefined) {
      const top = positionId({ height: state.top, seq: state.topSeq });
      this.#watch.startAfter(top, state.topChain);
      this.#cursor = this.#options.mode === 'blocks' ? afterHeightId(state.top) : top;
    }
    return connection;
  }

  async #checkEntryEpoch(connection: Redis, epoch: string | undefined): Promise<void> {
    if (this.#watch.knows(epoch)) return;
    await this.#check(await this.#readState(connection));
    // Still this tail's epoch: the entry was kept from before a rollback, same history.
    if (epoch !== undefined && epoch !== this.#watch.epoch) this.#watch.acceptAncestor(epoch);
  }

  async #check(state: LogState): Promise<void> {
    const verdict = this.#watch.judge(state);
    if (verdict.kind === 'reset') {
      throw new LogResetError('reset', verdict.state.epoch, lastOf(verdict.state));
    }
    if (verdict.kind === 'rollback') await this.#rollback(verdict.epoch);
  }

  /**
   * An entry that does not follow the last one taken: a reset if the epoch changed, nothing if
   * retention trimmed the entry taken last (a gap the reader judges, not another history), else a
   * rollback.
   */
  async #diverged(connection: Redis): Promise<void> {
    const state = await this.#readState(connection);
    await this.#check(state);
    if (state.cursor?.trimmed) return;
    const epoch = this.#watch.epoch;
    if (epoch === null) throw new Error('an entry tail diverged before it had an epoch');
    return this.#rollback(epoch);
  }

  /** Starts a new epoch (unless another reader already did) and ends the tail with it. */
  async #rollback(epoch: string): Promise<never> {
    const connection = this.#connection;
    if (connection === undefined) throw new Error('tail connection closed while switching epoch');
    const after = await withDeadline(
      switchEpoch(connection, this.#options.keys, epoch, newEpoch()),
      STALL_GRACE_MS,
      'tail epoch switch',
    );
    throw new LogResetError('rollback', after.epoch, lastOf(after));
  }

  #readState(connection: Redis): Promise<LogState> {
    return withDeadline(
      readLogState(connection, this.#options.keys, this.#watch.lastTaken),
      STALL_GRACE_MS,
      'tail state read',
    );
  }
}

/** A height cursor skips that height's events; a position cursor is the ID itself. */
function idAfter(after: number | Position): string {
  if (typeof after === 'number') return afterHeightId(Math.max(0, after));
  return positionId(after);
}

function lastOf(state: LogState): number | null {
  return state.top === 0 ? null : state.top;
}
