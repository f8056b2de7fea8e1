import type { Logger } from '@blockcast/common';
import { DemoLedger, type TransactionVersion } from '@blockcast/devkit';

export interface DemoChainOptions {
  /** Base URL of an ingest service, e.g. http://127.0.0.1:9986 */
  ingestUrl: string;
  token?: string;
  intervalMs?: number;
  /** Transactions per block are drawn from 0..maxTransactions (empty blocks happen, as on a real chain). */
  maxTransactions?: number;
  version?: TransactionVersion;
  logger: Logger;
}

/**
 * Commits a block of demo transactions through the ingest API every interval, exactly as a
 * node pushing its COMMITs would. On a 409 it continues from the height ingest expects, so a
 * restart against a Redis that already holds blocks just carries on.
 */
export class DemoChain {
  readonly #ledger: DemoLedger;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #maxTransactions: number;

  readonly #options: DemoChainOptions;

  constructor(options: DemoChainOptions) {
    this.#options = options;
    this.#ledger = new DemoLedger({ version: options.version ?? '2.0' });
    this.#maxTransactions = options.maxTransactions ?? 5;
  }

  /** Commits one block now, then one every interval after the previous commit finished. */
  start(): void {
    const tick = async () => {
      await this.commitOne().catch((error: unknown) =>
        this.#options.logger.warn({ err: error }, 'demo chain could not commit a block; retrying next tick'),
      );
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#inFlight = tick();
      }, this.#options.intervalMs ?? 1000);
    };
    this.#inFlight = tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
  }

  async commitOne(): Promise<void> {
    const block = this.#ledger.nextBlock(Math.floor(Math.random() * (this.#maxTransactions + 1)));
    const response = await fetch(new URL('/api/v1/blocks', this.#options.ingestUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.#options.token ? { authorization: `Bearer ${this.#options.token}` } : {}),
      },
      body: JSON.stringify(block),
    });
    const body = (await response.json()) as { expected_height?: number };
    if (response.status === 409 && typeof body.expected_height === 'number') {
      this.#ledger.resumeAfter(body.expected_height - 1);
      return this.commitOne();
    }
    if (response.status >= 300)
      throw new Error(`ingest answered ${response.status}: ${JSON.stringify(body)}`);
    this.#options.logger.debug(
      { height: block.height, transactions: block.transactions.length },
      'demo block committed',
    );
  }
}
