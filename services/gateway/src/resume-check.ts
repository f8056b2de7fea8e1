import type { EventLog, LogBounds } from '@blockcast/event-log';
import {
  comparePositions,
  EPOCH_HEADER,
  entryPosition,
  formatPosition,
  type Position,
  type StreamRequest,
  UpgradeError,
} from '@blockcast/protocol';
import type { BlockRing } from './block-ring.js';
import type { StreamHead } from './connections.js';

export interface ResumeCheckOptions {
  head: StreamHead;
  ring: BlockRing;
  log: Pick<EventLog, 'bounds' | 'epoch' | 'readEntries'>;
  /** How long one reading of the log's bounds answers for everyone (a reconnect storm reads it once). */
  boundsTtlMs: number;
}

const EPOCH_REQUIRED_MESSAGE = (since: Position) =>
  `since=${formatPosition(since)} needs the epoch it belongs to: add &epoch=<E>, read from the catalog (GET /api/v1/streams, field "epoch"), the ${EPOCH_HEADER} header of a 101 answer, or a close reason`;

/**
 * Whether a resuming request can be served from this gateway, decided at upgrade so a refusal is
 * an HTTP status, never a silent partial replay. Answered from memory when the ring covers
 * `since`; otherwise from the log, since another gateway may already have sent positions this one
 * has not published yet, and those must not be refused.
 */
export class ResumeCheck {
  readonly #options: ResumeCheckOptions;
  #bounds: { at: number; value: Promise<LogBounds | null> } | undefined;

  constructor(options: ResumeCheckOptions) {
    this.#options = options;
  }

  /** Undefined when the request is fine as it is; else a promise that rejects with the UpgradeError. */
  check(request: Pick<StreamRequest, 'since' | 'epoch'>): Promise<void> | undefined {
    const { head, ring } = this.#options;
    if (request.epoch !== undefined && request.epoch !== head.epoch())
      return this.#epochMismatch(request.epoch);
    const { since } = request;
    if (since === undefined) return undefined;
    if (request.epoch === undefined) return this.#epochRequired(since);
    if (comparePositions(since, head.livePosition()) <= 0 && ring.covers(since)) return undefined;
    return this.#againstTheLog(since);
  }

  async #againstTheLog(since: Position): Promise<void> {
    let bounds: LogBounds | null;
    try {
      bounds = await this.#readBounds(false);
      // A cached reading may predate the block the client resumes from: ask again before refusing.
      if (since.height > (bounds?.last ?? 0)) bounds = await this.#readBounds(true);
    } catch {
      throw new UpgradeError('LOG_UNAVAILABLE', 'the event log did not answer: retry shortly');
    }
    const last = bounds?.last ?? 0;
    const named = formatPosition(since);
    if (since.height > last || (await this.#eventAhead(since, last))) {
      throw new UpgradeError('SINCE_AHEAD', `since=${named} is beyond the newest entry (block ${last})`, {
        head: last,
      });
    }
    // A block's generic events are trimmed with it: after an event of a trimmed block, more may be gone.
    const oldestResumable = since.seq === 0 ? (bounds?.first ?? 0) - 1 : (bounds?.first ?? 0);
    if (bounds !== null && since.height < oldestResumable) {
      throw new UpgradeError(
        'HISTORY_GONE',
        `entries after ${named} are no longer retained: the oldest block available is ${bounds.first}`,
        { oldest: bounds.first, epoch: this.#options.head.epoch() },
      );
    }
  }

  /** An event position after the newest block that this gateway has not published: true when the log has no such event yet. */
  async #eventAhead(since: Position, last: number): Promise<boolean> {
    if (since.seq === 0 || since.height !== last) return false;
    if (comparePositions(since, this.#options.head.livePosition()) <= 0) return false;
    let next: Position | undefined;
    try {
      const [entry] = await this.#options.log.readEntries({ height: since.height, seq: since.seq - 1 }, 1);
      next = entry === undefined ? undefined : entryPosition(entry);
    } catch {
      throw new UpgradeError('LOG_UNAVAILABLE', 'the event log did not answer: retry shortly');
    }
    return next === undefined;
  }

  /** `since` alone: refused while the stream has an epoch; on an empty stream, judged as before (SINCE_AHEAD). */
  async #epochRequired(since: Position): Promise<void> {
    if (this.#options.head.epoch() === null) {
      let current: string | null;
      try {
        current = await this.#options.log.epoch();
      } catch {
        throw new UpgradeError('LOG_UNAVAILABLE', 'the event log did not answer: retry shortly');
      }
      if (current === null) return this.#againstTheLog(since);
    }
    throw new UpgradeError('EPOCH_REQUIRED', EPOCH_REQUIRED_MESSAGE(since));
  }

  async #epochMismatch(requested: string): Promise<void> {
    const { head, log } = this.#options;
    // The client may have heard of a new epoch from a gateway that noticed a reset first.
    const current = await log.epoch().catch(() => undefined);
    if (current === requested) {
      throw new UpgradeError('LOG_UNAVAILABLE', 'this gateway is switching to the new epoch: retry shortly');
    }
    throw new UpgradeError(
      'EPOCH_MISMATCH',
      `epoch ${requested} is not the stream's epoch ${head.epoch() ?? '(none yet)'}: the stream was recreated or rolled back`,
      { epoch: head.epoch(), head: head.liveHeight() },
    );
  }

  #readBounds(fresh: boolean): Promise<LogBounds | null> {
    const now = Date.now();
    if (fresh || this.#bounds === undefined || now - this.#bounds.at > this.#options.boundsTtlMs) {
      const value = this.#options.log.bounds();
      value.catch(() => {
        if (this.#bounds?.value === value) this.#bounds = undefined;
      });
      this.#bounds = { at: now, value };
    }
    return this.#bounds.value;
  }
}
