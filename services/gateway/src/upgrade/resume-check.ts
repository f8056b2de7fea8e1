import { SharedReading } from '@blockcast/common';
import type { EventLog, LogBounds } from '@blockcast/event-log';
import {
  comparePositions,
  EPOCH_HEADER,
  entryPosition,
  formatPosition,
  oldestBlockFrom,
  type Position,
  type StreamRequest,
  selectsGenericEvents,
  UpgradeError,
} from '@blockcast/protocol';
import type { History } from '../delivery/history.js';
import type { StreamHead } from '../sockets/connections.js';

export interface ResumeCheckOptions {
  head: StreamHead;
  /** Judges "still held" as catch-up does, and reads the log's oldest entry the same way. */
  history: History;
  log: Pick<EventLog, 'bounds' | 'epoch' | 'readEntries'>;
  /** How long one reading of the log's bounds answers for everyone (a reconnect storm reads it once). */
  boundsTtlMs: number;
}

/** The two ends of the log: its block bounds and the position of its oldest entry. */
interface LogEdges {
  bounds: LogBounds | null;
  first: Position | undefined;
}

type Resuming = Pick<StreamRequest, 'since' | 'epoch' | 'stream' | 'typeMask' | 'filter'>;

const EPOCH_REQUIRED_MESSAGE = (since: Position) =>
  `since=${formatPosition(since)} needs the epoch it belongs to: add &epoch=<E>, read from the catalog (GET /api/v1/streams, field "epoch"), the ${EPOCH_HEADER} header of a 101 answer, or a close reason`;

/**
 * Whether a resuming request can be served from this gateway, decided at upgrade so a refusal is
 * an HTTP status, never a silent partial replay. Answered from memory when the history holds
 * `since` in memory; otherwise from the log, since another gateway may already have sent positions
 * this one has not published yet, and those must not be refused. "Still held" is the history's one
 * rule (`History.heldAfter`), the one catch-up applies to every entry it hands out, so a resume
 * accepted here is not ended by catch-up for the same reading of the log.
 */
export class ResumeCheck {
  readonly #options: ResumeCheckOptions;
  readonly #edges: SharedReading<LogEdges>;

  constructor(options: ResumeCheckOptions) {
    this.#options = options;
    this.#edges = new SharedReading(async () => {
      const [bounds, first] = await Promise.all([options.log.bounds(), options.history.firstRetained()]);
      return { bounds, first };
    }, options.boundsTtlMs);
  }

  /** Undefined when the request is fine as it is; else a promise that rejects with the UpgradeError. */
  check(request: Resuming): Promise<void> | undefined {
    const { head, history } = this.#options;
    if (request.epoch !== undefined && request.epoch !== head.epoch())
      return this.#epochMismatch(request.epoch);
    const { since } = request;
    if (since === undefined) return undefined;
    if (request.epoch === undefined) return this.#epochRequired(since, selectsGenericEvents(request));
    if (comparePositions(since, head.livePosition()) <= 0 && history.inMemory(since)) return undefined;
    return this.#againstTheLog(since, selectsGenericEvents(request));
  }

  async #againstTheLog(since: Position, withEvents: boolean): Promise<void> {
    let edges: LogEdges;
    try {
      edges = await this.#readEdges(false);
      // A cached reading may predate the block the client resumes from: ask again before refusing.
      if (since.height > (edges.bounds?.last ?? 0)) edges = await this.#readEdges(true);
    } catch {
      throw new UpgradeError('LOG_UNAVAILABLE', 'the event log did not answer: retry shortly');
    }
    const { bounds, first } = edges;
    const last = bounds?.last ?? 0;
    const named = formatPosition(since);
    if (since.height > last || (await this.#eventAhead(since, last))) {
      throw new UpgradeError('SINCE_AHEAD', `since=${named} is beyond the newest entry (block ${last})`, {
        head: last,
      });
    }
    // A cached reading is older, its start no later than now: a refusal from it stands.
    if (first !== undefined && !this.#options.history.heldAfter(since, first, withEvents)) {
      const oldest = oldestBlockFrom(first);
      throw new UpgradeError(
        'HISTORY_GONE',
        `entries after ${named} are no longer retained: the oldest block available is ${oldest}` +
          (withEvents ? ` (with generic events, resume from since=${oldest})` : ''),
        { oldest, epoch: this.#options.head.epoch() },
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
  async #epochRequired(since: Position, withEvents: boolean): Promise<void> {
    if (this.#options.head.epoch() === null) {
      let current: string | null;
      try {
        current = await this.#options.log.epoch();
      } catch {
        throw new UpgradeError('LOG_UNAVAILABLE', 'the event log did not answer: retry shortly');
      }
      if (current === null) return this.#againstTheLog(since, withEvents);
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

  #readEdges(fresh: boolean): Promise<LogEdges> {
    // A reading of another history says nothing about this one's edges.
    return this.#edges.get({ key: this.#options.head.epoch(), fresh });
  }
}
