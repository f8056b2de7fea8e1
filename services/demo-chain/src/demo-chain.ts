import type { Logger } from '@blockcast/common';
import type { CommittedBlock, TransactionVersion } from '@blockcast/protocol';
import { ChainNode } from './chain-node.js';
import { DemoLedger } from './demo-ledger.js';

export interface DemoChainOptions {
  /** Base URL of an ingest service, e.g. http://127.0.0.1:9986 */
  ingestUrl: string;
  token?: string;
  intervalMs?: number;
  /** Transactions per block are drawn from 0..maxTransactions (empty blocks happen, as on a real chain). */
  maxTransactions?: number;
  version?: TransactionVersion;
  /** A NODE_STATUS generic event after every this many blocks (0: none; default 10), so `events` shows both kinds. */
  statusEveryBlocks?: number;
  /** Chance that a block also carries a rejected double spend (default 0.2), so `invalid_transactions` shows frames. */
  rejectChance?: number;
  logger: Logger;
}

/**
 * Commits a block of demo transactions through the ingest API every interval, exactly as a
 * node pushing its COMMITs would. On a 409 it continues from the height ingest expects, so a
 * restart against a Redis that already holds blocks just carries on. Every few blocks it also
 * emits a NODE_STATUS generic event, as a node operator's monitor would.
 */
export class DemoChain {
  readonly #ledger: DemoLedger;
  readonly #node: ChainNode;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #maxTransactions: number;
  readonly #statusEveryBlocks: number;
  readonly #rejectChance: number;

  readonly #options: DemoChainOptions;

  constructor(options: DemoChainOptions) {
    this.#options = options;
    this.#ledger = new DemoLedger({ version: options.version ?? '2.0' });
    this.#maxTransactions = options.maxTransactions ?? 5;
    this.#statusEveryBlocks = options.statusEveryBlocks ?? 10;
    this.#rejectChance = options.rejectChance ?? 0.2;
    this.#node = new ChainNode({
      ingestUrl: options.ingestUrl,
      ...(options.token === undefined ? {} : { token: options.token }),
      blockAt: (height) => this.#blockAt(height),
      onConflict: 'continue',
    });
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
    const { block } = (await this.#node.commitNext())!;
    this.#options.logger.debug(
      { height: block.height, transactions: block.transactions.length },
      'demo block committed',
    );
    if (this.#statusEveryBlocks > 0 && block.height % this.#statusEveryBlocks === 0) {
      await this.emitStatus(block.height);
    }
  }

  /** A new block at `height`: the ledger goes on from there (the log may hold other blocks before it). */
  #blockAt(height: number): CommittedBlock {
    this.#ledger.resumeAfter(height - 1);
    return this.#ledger.nextBlock(
      Math.floor(Math.random() * (this.#maxTransactions + 1)),
      Math.random() < this.#rejectChance ? 1 : 0,
    );
  }

  /** POSTs NODE_STATUS for `height`; the Idempotency-Key makes a retried post one event. */
  async emitStatus(height: number): Promise<void> {
    const content = { node_id: 'demo-node', status: 'up', height };
    const response = await this.#post('/api/v1/events/NODE_STATUS', { content }, `demo-status-${height}`);
    if (response.status >= 300) {
      throw new Error(`ingest answered ${response.status} to NODE_STATUS: ${await response.text()}`);
    }
  }

  #post(path: string, body: unknown, idempotencyKey: string): Promise<Response> {
    return fetch(new URL(path, this.#options.ingestUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.#options.token ? { authorization: `Bearer ${this.#options.token}` } : {}),
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
  }
}
