import type { BlockEvent } from '@blockcast/protocol';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IngestErrorCode } from './errors.js';

/** Ingest's own metrics (`blockcast_ingest_<name>_<unit>`), registered on the service registry. */
export class IngestMetrics {
  readonly #appended: Counter;
  readonly #duplicates: Counter;
  readonly #refused: Counter<'code'>;
  readonly #conflicts: Counter;
  readonly #transactions: Counter;
  readonly #lastHeight: Gauge;
  readonly #requestSeconds: Histogram<'status'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#appended = new Counter({
      name: 'blockcast_ingest_blocks_appended_total',
      help: 'Blocks appended to the event log.',
      registers,
    });
    this.#duplicates = new Counter({
      name: 'blockcast_ingest_blocks_duplicate_total',
      help: 'Blocks received again with identical content (idempotent success, nothing written).',
      registers,
    });
    this.#refused = new Counter({
      name: 'blockcast_ingest_blocks_refused_total',
      help: 'Block requests refused, by error code. Nothing was written, except that after LOG_UNAVAILABLE the block may have been appended.',
      labelNames: ['code'],
      registers,
    });
    this.#conflicts = new Counter({
      name: 'blockcast_ingest_conflicts_total',
      help: 'Blocks whose height is already in the log with different content. Alert on any increase.',
      registers,
    });
    this.#transactions = new Counter({
      name: 'blockcast_ingest_transactions_appended_total',
      help: 'Valid transactions in appended blocks.',
      registers,
    });
    this.#lastHeight = new Gauge({
      name: 'blockcast_ingest_last_appended_height',
      help: 'Height of the last block this process appended.',
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'blockcast_ingest_request_duration_seconds',
      help: 'POST /api/v1/blocks duration from request to response, by status code.',
      labelNames: ['status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  appended(block: BlockEvent): void {
    this.#appended.inc();
    this.#transactions.inc(block.transactions.length);
    this.#lastHeight.set(block.height);
  }

  duplicate(): void {
    this.#duplicates.inc();
  }

  refused(code: IngestErrorCode): void {
    this.#refused.inc({ code });
    if (code === 'HEIGHT_CONFLICT') this.#conflicts.inc();
  }

  request(status: number, milliseconds: number): void {
    this.#requestSeconds.observe({ status: String(status) }, milliseconds / 1000);
  }
}
