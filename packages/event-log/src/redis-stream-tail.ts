import { ABORTED, sleep, untilAborted, withDeadline } from '@blockcast/common';
import type { BlockEvent } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { newEpoch } from './epoch.js';
import { EpochWatch } from './epoch-watch.js';
import { LogResetError } from './log-reset-error.js';
import { type LogKeys, type LogState, readLogState, switchEpoch } from './log-state.js';
import { decodeEntry, entryEpoch, entryId, heightOfId, type StreamEntry } from './stream-entry.js';

export interface StreamTailOptions {
  /**
   * Opens a dedicated connection that does not reconnect by itself: a blocked XREAD holds its
   * connection for up to `blockMs`, and every reconnect must be seen here to check the epoch.
   */
  connect(): Redis;
  keys: LogKeys;
  /** The height already seen; undefined for the top in `start` ('latest'). */
  after: number | undefined;
  /** The state read when the tail was asked for, or undefined if that read failed (read again then). */
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

const FIRST_BACKOFF_MS = 50;
/**
 * An XREAD unanswered this long past its BLOCK time means a dead connection ioredis has not
 * noticed (half-open TCP after a failover): the tail then starts over on a new one.
 */
const STALL_GRACE_MS = 5000;
const MAX_BACKOFF_MS = 1000;

/**
 * Plain `XREAD BLOCK` from the last height yielded — never `$`, never a consumer group — so a
 * reconnect, a failover or a killed connection resumes exactly where it stopped: every block
 * once, in order. The epoch and the top are checked on every new connection and whenever a
 * blocked XREAD comes back empty (an XREAD from the old cursor sees nothing of a recreated or
 * rolled-back stream), so a reset or rollback ends the tail with {@link LogResetError} within
 * about `blockMs`. Ends without error when `signal` aborts.
 */
export async function* tailStream(options: StreamTailOptions): AsyncGenerator<BlockEvent> {
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
  #cursor: number | undefined;
  #start: Promise<LogState | undefined> | undefined;

  constructor(options: StreamTailOptions) {
    this.#options = options;
    this.#watch = new EpochWatch(options.epoch);
    this.#cursor = options.after;
    this.#start = options.start;
  }

  async *run(): AsyncGenerator<BlockEvent> {
    const { signal } = this.#options;
    let failures = 0;
    while (!signal.aborted) {
      let blocks: BlockEvent[] | typeof ABORTED;
      try {
        blocks = await untilAborted(this.#nextBatch(), signal);
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
      if (blocks === ABORTED) return;
      for (const block of blocks) {
        this.#cursor = block.height;
        this.#watch.yielded(block.height);
        yield block;
        if (signal.aborted) return;
      }
    }
  }

  disconnect(): void {
    this.#connection?.disconnect();
    this.#connection = undefined;
  }

  async #nextBatch(): Promise<BlockEvent[]> {
    const { keys, batchSize, blockMs } = this.#options;
    const connection = await this.#connected();
    const cursor = this.#cursor ?? 0;
    const read = connection.xread(
      'COUNT',
      batchSize,
      'BLOCK',
      blockMs,
      'STREAMS',
      keys.stream,
      entryId(Math.max(0, cursor)),
    ) as Promise<XReadReply>;
    const entries = (await withDeadline(read, blockMs + STALL_GRACE_MS, 'tail XREAD'))?.[0]?.[1] ?? [];
    if (entries.length === 0) await this.#check(await this.#readState(connection));
    const blocks: BlockEvent[] = [];
    for (const entry of entries) {
      const height = heightOfId(entry[0]);
      // Only `<height>-0` IDs advance the cursor; a foreign `<height>-1` must not yield a height twice.
      if (height <= (blocks.at(-1)?.height ?? cursor)) continue;
      await this.#checkEntryEpoch(connection, entryEpoch(entry));
      blocks.push(decodeEntry(entry));
    }
    return blocks;
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
    this.#cursor ??= state.top;
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
    if (verdict.kind === 'rollback') {
      const connection = this.#connection;
      if (connection === undefined) throw new Error('tail connection closed while switching epoch');
      const after = await withDeadline(
        switchEpoch(connection, this.#options.keys, verdict.epoch, newEpoch()),
        STALL_GRACE_MS,
        'tail epoch switch',
      );
      throw new LogResetError('rollback', after.epoch, lastOf(after));
    }
  }

  #readState(connection: Redis): Promise<LogState> {
    return withDeadline(readLogState(connection, this.#options.keys), STALL_GRACE_MS, 'tail state read');
  }
}

function lastOf(state: LogState): number | null {
  return state.top === 0 ? null : state.top;
}
