import type { BlockEvent, EmittedEventTypeName } from '@blockcast/protocol';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IngestErrorCode } from './errors.js';

/** Ingest's own metrics (`blockcast_ingest_<name>_<unit>`), registered on the service registry. */
export class IngestMetrics {
  readonly #blocks: Counter<'result'>;
  readonly #transactions: Counter<'result'>;
  readonly #refusals: Counter<'code'>;
  readonly #conflicts: Counter;
  readonly #appendSeconds: Histogram;
  readonly #lastHeight: Gauge;
  readonly #requestSeconds: Histogram<'status'>;
  readonly #events: Counter<'type' | 'result'>;
  readonly #eventRefusals: Counter<'type' | 'code'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#blocks = new Counter({
      name: 'blockcast_ingest_blocks_total',
      help: 'POSTs of a block by result: appended (201), duplicate (200), refused (4xx, nothing written), unavailable (503: may or may not have been appended).',
      labelNames: ['result'],
      registers,
    });
    this.#transactions = new Counter({
      name: 'blockcast_ingest_transactions_total',
      help: 'Valid transactions in the posted blocks by the block result; refusals count only blocks that parsed as blocks.',
      labelNames: ['result'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'blockcast_ingest_refusals_total',
      help: 'Refused POSTs of a block by error code; nothing was written.',
      labelNames: ['code'],
      registers,
    });
    this.#conflicts = new Counter({
      name: 'blockcast_ingest_conflicts_total',
      help: 'Blocks whose height is already in the log with different content. Alert on any increase.',
      registers,
    });
    this.#appendSeconds = new Histogram({
      name: 'blockcast_ingest_append_duration_seconds',
      help: 'Event log append (the Redis script round trip, queueing included), answered or failed.',
      buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
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
    this.#events = new Counter({
      name: 'blockcast_ingest_events_total',
      help: 'POSTs of a generic event by type and result: appended (201), duplicate (200, an Idempotency-Key seen), refused (4xx, nothing written), unavailable (503: may or may not have been emitted). type is not_emitted for a URL naming no emitted type.',
      labelNames: ['type', 'result'],
      registers,
    });
    this.#eventRefusals = new Counter({
      name: 'blockcast_ingest_event_refusals_total',
      help: 'Refused POSTs of a generic event by type and error code; nothing was written.',
      labelNames: ['type', 'code'],
      registers,
    });
    // Every series exists from the start, so a rate() over a fresh process is 0, not absent.
    for (const result of ['appended', 'duplicate', 'refused', 'unavailable'] as const) {
      this.#blocks.inc({ result }, 0);
      this.#transactions.inc({ result }, 0);
    }
  }

  /** Types are the catalog's emitted names: declared once here so every series starts at 0. */
  declareEventTypes(types: readonly EmittedEventTypeName[]): void {
    for (const type of types) {
      for (const result of ['appended', 'duplicate', 'refused', 'unavailable'] as const) {
        this.#events.inc({ type, result }, 0);
      }
    }
  }

  eventEmitted(type: EmittedEventTypeName, result: 'appended' | 'duplicate'): void {
    this.#events.inc({ type, result });
  }

  /** Every error answer of the events route, once. */
  eventFailed(type: EmittedEventTypeName | 'not_emitted', code: IngestErrorCode): void {
    if (code === 'LOG_UNAVAILABLE') {
      this.#events.inc({ type, result: 'unavailable' });
      return;
    }
    this.#events.inc({ type, result: 'refused' });
    this.#eventRefusals.inc({ type, code });
  }

  appended(block: BlockEvent): void {
    this.#blocks.inc({ result: 'appended' });
    this.#transactions.inc({ result: 'appended' }, block.transactions.length);
    this.#lastHeight.set(block.height);
  }

  duplicate(block: BlockEvent): void {
    this.#blocks.inc({ result: 'duplicate' });
    this.#transactions.inc({ result: 'duplicate' }, block.transactions.length);
  }

  /** The transactions of a block that parsed and was then refused or not confirmed. */
  notAppended(block: BlockEvent, result: 'refused' | 'unavailable'): void {
    this.#transactions.inc({ result }, block.transactions.length);
  }

  /** Every error answer of the blocks route, once. */
  failed(code: IngestErrorCode): void {
    if (code === 'LOG_UNAVAILABLE') {
      this.#blocks.inc({ result: 'unavailable' });
      return;
    }
    this.#blocks.inc({ result: 'refused' });
    this.#refusals.inc({ code });
    if (code === 'HEIGHT_CONFLICT') this.#conflicts.inc();
  }

  appendTook(seconds: number): void {
    this.#appendSeconds.observe(seconds);
  }

  request(status: number, milliseconds: number): void {
    this.#requestSeconds.observe({ status: String(status) }, milliseconds / 1000);
  }
}
