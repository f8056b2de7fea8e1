import { sleep } from '@blockcast/common';
import { type EventLog, LogResetError } from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';
import type { Logger } from 'pino';

export interface LogFollowerOptions {
  log: EventLog;
  logger: Logger;
  onBlock(block: BlockEvent): void;
  onGap(expected: number, got: number): void;
  /** The history changed under the follower; it goes on from the log's new top. */
  onReset(reset: LogResetError): void;
  /** A block whose publishing threw: it is counted and logged, never retried (that would duplicate). */
  onBlockFailed(block: BlockEvent, error: unknown): void;
  /** Wait before re-opening a tail that ended with an error. */
  retryMs?: number;
}

/**
 * The gateway's one tail of the event log: starts after the last block present when it starts,
 * hands every block to `onBlock` in height order, and re-opens the tail from the last height seen
 * if it ever fails, so an outage costs latency, never events. A reset or rollback of the log is
 * handed to `onReset`, then the follower continues in the new epoch from its top.
 */
export class LogFollower {
  readonly #options: LogFollowerOptions;
  readonly #abort = new AbortController();
  #lastHeight: number | undefined;
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
        const tail = log.tail({
          after: this.#lastHeight ?? 0,
          signal,
          ...(this.#epoch ? { epoch: this.#epoch } : {}),
        });
        for await (const block of tail) this.#deliver(block);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof LogResetError) {
          this.#reset(error);
          continue;
        }
        this.#lastError = error;
        logger.error(
          { err: error, after: this.#lastHeight },
          'event log tail failed; re-opening from the last height',
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
    this.#lastError = undefined;
    this.#options.onReset(reset);
  }

  #learnEpoch(): void {
    this.#options.log.epoch().then(
      (epoch) => {
        this.#epoch ??= epoch;
      },
      () => {},
    );
  }

  #deliver(block: BlockEvent): void {
    const last = this.#lastHeight;
    if (last !== undefined && block.height <= last) return;
    if (last !== undefined && block.height !== last + 1) this.#options.onGap(last + 1, block.height);
    this.#lastHeight = block.height;
    this.#lastError = undefined;
    // A log that held nothing when followed got its epoch with its first append.
    if (this.#epoch === null) this.#learnEpoch();
    try {
      this.#options.onBlock(block);
    } catch (error) {
      this.#options.onBlockFailed(block, error);
    }
  }
}
