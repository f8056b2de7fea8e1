import { ABORTED, sleep, untilAborted, withDeadline } from '@blockcast/common';
import { cappedBackoff } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { newEpoch } from './epoch.js';
import { EpochWatch } from './epoch-watch.js';
import { LogResetError } from './log-reset-error.js';
import { type LogKeys, type LogState, readLogState, switchEpoch } from './log-state.js';
import { entryChain, entryEpoch, entryPrev, type StreamEntry } from './stream-entry.js';

/** How long one blocking read waits before it is reissued, unless configured. */
export const DEFAULT_BLOCK_MS = 5000;
/**
 * A blocking read unanswered this long past its BLOCK time means a dead connection ioredis has not
 * noticed (half-open TCP after a failover): the reader then starts over on a new one.
 */
export const STALL_GRACE_MS = 5000;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** `blockMs` as configured, or the default; BLOCK 0 would wait forever, and a silent socket could then never be told from a dead one. */
export function blockMsOf(blockMs: number | undefined): number {
  const chosen = blockMs ?? DEFAULT_BLOCK_MS;
  if (!Number.isSafeInteger(chosen) || chosen < 1) {
    throw new RangeError(`blockMs must be an integer >= 1, got ${chosen}`);
  }
  return chosen;
}

/** The history under a reader changed: `state` is the log's after the change (a rollback's new epoch). */
export interface HistoryChange {
  cause: 'reset' | 'rollback';
  state: LogState;
}

export interface StreamReaderOptions {
  /** Opens the reader's own connection: a blocked read holds it for up to `blockMs`. */
  connect(): Redis;
  keys: LogKeys;
  /** The epoch the reader's cursor belongs to; undefined adopts the log's at the first check. */
  epoch: string | undefined;
  signal: AbortSignal;
  /** Every error the reader recovers from. */
  onError(error: unknown): void;
}

/**
 * What the entry tail and the consumer group share: one connection of their own, a retry loop that
 * starts over on a fresh connection after a capped backoff, and the judgement of which history each
 * entry read belongs to — its epoch, and its `prev` against the chain of the entry taken before —
 * with the log's state read about the entry taken last. A rollback seen here starts a new epoch
 * (unless another reader already did), so every reader of the log sees it the same way.
 */
export class StreamReader {
  readonly #options: StreamReaderOptions;
  #watch: EpochWatch;
  #connection: Redis | undefined;

  constructor(options: StreamReaderOptions) {
    this.#options = options;
    this.#watch = new EpochWatch(options.epoch);
  }

  get watch(): EpochWatch {
    return this.#watch;
  }

  /**
   * Answers `read` on the reader's connection (`fresh` when just opened: check the history first);
   * a failure is reported, the connection dropped, `recover` called, and `read` retried after a
   * capped backoff. Undefined once `signal` aborts; a {@link LogResetError} is thrown on.
   */
  async read<T>(
    read: (connection: Redis, fresh: boolean) => Promise<T>,
    recover?: (error: unknown) => void,
  ): Promise<T | undefined> {
    const { signal } = this.#options;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const fresh = this.#connection === undefined;
        this.#connection ??= this.#options.connect();
        const result = await untilAborted(read(this.#connection, fresh), signal);
        return result === ABORTED ? undefined : result;
      } catch (error) {
        if (error instanceof LogResetError) throw error;
        if (signal.aborted) return undefined;
        this.#options.onError(error);
        // Start over on a fresh connection: the old one may be half-dead in ways ioredis cannot see.
        this.disconnect();
        recover?.(error);
        failures++;
        await sleep(cappedBackoff(failures, FIRST_BACKOFF_MS, MAX_BACKOFF_MS), signal);
      }
    }
    return undefined;
  }

  disconnect(): void {
    this.#connection?.disconnect();
    this.#connection = undefined;
  }

  /** Reads on from `epoch` (undefined: whatever the log holds next) as if just started. */
  startOver(epoch: string | undefined): void {
    this.#watch = new EpochWatch(epoch);
  }

  /** The log's state, asked about the entry taken last (is it still there, with its chain?). */
  readState(connection: Redis): Promise<LogState> {
    return withDeadline(
      readLogState(connection, this.#options.keys, this.#watch.lastTaken),
      STALL_GRACE_MS,
      'log state read',
    );
  }

  /** The state against what this reader took: the change (a rollback's new epoch started), or undefined. */
  async judge(connection: Redis, state: LogState): Promise<HistoryChange | undefined> {
    const verdict = this.#watch.judge(state);
    if (verdict.kind === 'same') return undefined;
    if (verdict.kind === 'reset') return { cause: 'reset', state: verdict.state };
    const after = await withDeadline(
      switchEpoch(connection, this.#options.keys, verdict.epoch, newEpoch()),
      STALL_GRACE_MS,
      'epoch switch',
    );
    return { cause: 'rollback', state: after };
  }

  /**
   * Judges an entry read after the one taken last before it is taken: of another epoch, or not
   * following that one (its `prev` is not that entry's chain), the state decides — a change when
   * the entry taken last is gone or rewritten (new entries written where a rollback lost others),
   * nothing when it was trimmed or is still there (the entries between went elsewhere).
   */
  async check(connection: Redis, entry: StreamEntry): Promise<HistoryChange | undefined> {
    const epoch = entryEpoch(entry);
    const known = this.#watch.knows(epoch);
    if (known && this.#watch.follows(entryPrev(entry))) return undefined;
    const change = await this.judge(connection, await this.readState(connection));
    // Still this reader's epoch: an entry of another was kept from before a rollback, same history.
    if (change === undefined && !known && epoch !== undefined) this.#watch.acceptAncestor(epoch);
    return change;
  }

  /** The reader took `entry`: the next one read must follow it. */
  took(entry: StreamEntry): void {
    this.#watch.took(entry[0], entryChain(entry));
  }
}
