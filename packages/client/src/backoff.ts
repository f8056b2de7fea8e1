import { cappedBackoff } from '@blockcast/protocol/client';

/**
 * Reconnect delays: exponential with full jitter (a uniform draw between 0 and the capped
 * exponential), so clients cut together by one gateway's death do not come back together.
 */
export interface BackoffOptions {
  /** First ceiling, in ms. Default 250. */
  baseMs?: number;
  /** Largest ceiling, in ms. Default 30 000. */
  capMs?: number;
}

export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  #attempt = 0;

  constructor(
    options: BackoffOptions = {},
    readonly random: () => number = Math.random,
  ) {
    this.baseMs = options.baseMs ?? 250;
    this.capMs = options.capMs ?? 30_000;
  }

  /** The delay before the next attempt; each call widens the next one's range up to the cap. */
  next(): number {
    const ceiling = cappedBackoff(this.#attempt + 1, this.baseMs, this.capMs);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  /** After a connection that worked: the next delay starts small again. */
  reset(): void {
    this.#attempt = 0;
  }
}
