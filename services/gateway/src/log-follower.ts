import type { EventLog } from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';
import type { Logger } from 'pino';

export interface LogFollowerOptions {
  log: EventLog;
  logger: Logger;
  onBlock(block: BlockEvent): void;
  onGap(expected: number, got: number): void;
  /** A block whose publishing threw: it is counted and logged, never retried (that would duplicate). */
  onBlockFailed(block: BlockEvent, error: unknown): void;
  /** Wait before re-opening a tail that ended with an error. */
  retryMs?: number;
}

/**
 * The gateway's one tail of the bus: starts after the last block present when it starts, hands
 * every block to `onBlock` in height order, and re-opens the tail from the last height seen if
 * it ever fails, so a bus outage costs latency, never events.
 */
export class LogFollower {
  readonly #abort = new AbortController();
  #lastHeight: number | undefined;
  #running: Promise<void> | undefined;
  #lastError: unknown;

  constructor(private readonly options: LogFollowerOptions) {}

  /** Height of the last block handed on, undefined before the first. */
  get height(): number | undefined {
    return this.#lastHeight;
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
    const bounds = await this.options.log.bounds();
    this.#lastHeight = bounds?.last;
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const { log, logger, retryMs = 500 } = this.options;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for await (const block of log.tail({ after: this.#lastHeight ?? 0, signal })) this.#deliver(block);
      } catch (error) {
        if (signal.aborted) return;
        this.#lastError = error;
        logger.error(
          { err: error, after: this.#lastHeight },
          'bus tail failed; re-opening from the last height',
        );
        await abortableSleep(retryMs, signal);
      }
    }
  }

  #deliver(block: BlockEvent): void {
    const last = this.#lastHeight;
    if (last !== undefined && block.height <= last) return;
    if (last !== undefined && block.height !== last + 1) this.options.onGap(last + 1, block.height);
    this.#lastHeight = block.height;
    this.#lastError = undefined;
    try {
      this.options.onBlock(block);
    } catch (error) {
      this.options.onBlockFailed(block, error);
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
