import { sleep } from '@blockcast/common';
import { type EventLog, LogResetError } from '@blockcast/event-log';
import {
  comparePositions,
  entryPosition,
  isNextOnBus,
  type LogEntry,
  type Position,
} from '@blockcast/protocol';
import type { Logger } from 'pino';

export interface LogFollowerOptions {
  log: EventLog;
  logger: Logger;
  /** Every entry in bus order: blocks and the generic events emitted between them. */
  onEntry(entry: LogEntry): void;
  /**
   * Entries were skipped (trimmed before this tail read them): `got` does not follow `after`, the
   * last entry handed on. Called before `got` is handed on.
   */
  onGap(after: Position, got: Position): void;
  /** The history changed under the follower; it goes on from the log's new top. */
  onReset(reset: LogResetError): void;
  /** An entry whose publishing threw: it is counted and logged, never retried (that would duplicate). */
  onEntryFailed(entry: LogEntry, error: unknown): void;
  /** Wait before re-opening a tail that ended with an error. */
  retryMs?: number;
}

/**
 * The gateway's one tail of the event log: starts after the last block present when it starts,
 * hands every entry — blocks and generic events — to `onEntry` in bus order, and re-opens the tail
 * from the last position seen if it ever fails, so an outage costs latency, never events. A reset or rollback of the log is
 * handed to `onReset`, then the follower continues in the new epoch from its top.
 */
export class LogFollower {
  readonly #options: LogFollowerOptions;
  readonly #abort = new AbortController();
  #lastHeight: number | undefined;
  /** The last entry handed on (or the starting point): where the tail re-opens. */
  #position: Position | undefined;
  #epoch: string | null = null;
  #running: Promise<void> | undefined;
  #lastError: unknown;

  constructor(options: LogFollowerOptions) {
    this.#options = options;
  }

  /** Height of the last block handed on, undefined before the first. */
  get height(): number | undefined {
    return this.#lastHeight;
  }

  /** Position of the last entry handed on (`{height, 0}` for the starting block), undefined before any. */
  get position(): Position | undefined {
    return this.#position;
  }

  /** The epoch the heights belong to; null while the log holds nothing. */
  get epoch(): string | null {
    return this.#epoch;
  }

  /** True from start() until stop() (a failing tail is retried, not stopped). */
  get running(): boolean {
    return this.#running !== undefined && !this.#abort.signal.aborted;
  }

  /** The error that ended the last tail, until a block arrives again: readiness reports it. */
  get failing(): unknown {
    return this.#lastError;
  }

  /** Resolves once the starting point is fixed, so nothing appended after start() is missed. */
  async start(): Promise<void> {
    const { log } = this.#options;
    // Epoch first: a reset between the two readings then shows as a reset, not as a silent jump.
    this.#epoch = await log.epoch();
    this.#lastHeight = (await log.bounds())?.last;
    // From the last block: the generic events after it go to the ring, which a resume may need.
    this.#position = this.#lastHeight === undefined ? undefined : { height: this.#lastHeight, seq: 0 };
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const { log, logger, retryMs = 500 } = this.#options;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const tail = log.tailEntries({
          after: this.#position ?? { height: 0, seq: 0 },
          signal,
          ...(this.#epoch ? { epoch: this.#epoch } : {}),
        });
        for await (const entry of tail) {
          // A log that held nothing when followed got its epoch with its first entry: known before
          // that entry is published, so no answer (a 101's epoch header, a resume check) lacks it.
          if (this.#epoch === null) this.#epoch = await log.epoch();
          this.#deliver(entry);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof LogResetError) {
          this.#reset(error);
          continue;
        }
        this.#lastError = error;
        logger.error(
          { err: error, after: this.#position },
          'event log tail failed; re-opening from the last position',
        );
        await sleep(retryMs, signal);
      }
    }
  }

  #reset(reset: LogResetError): void {
    this.#options.logger.error(
      {
        kind: reset.kind,
        from: { epoch: this.#epoch, height: this.#lastHeight },
        to: { epoch: reset.epoch, last: reset.last },
      },
      'the event log was reset or rolled back; clients are told, following the new history from its top',
    );
    this.#epoch = reset.epoch;
    this.#lastHeight = reset.last ?? undefined;
    this.#position = reset.last === null ? undefined : { height: reset.last, seq: 0 };
    this.#lastError = undefined;
    this.#options.onReset(reset);
  }

  #deliver(entry: LogEntry): void {
    const position = entryPosition(entry);
    if (this.#position !== undefined && comparePositions(position, this.#position) <= 0) return;
    if (this.#position !== undefined && !isNextOnBus(this.#position, position))
      this.#options.onGap(this.#position, position);
    if (entry.kind === 'block') this.#lastHeight = entry.height;
    this.#position = position;
    this.#lastError = undefined;
    try {
      this.#options.onEntry(entry);
    } catch (error) {
      this.#options.onEntryFailed(entry, error);
    }
  }
}
