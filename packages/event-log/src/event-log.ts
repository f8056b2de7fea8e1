import type { BlockEvent, EmittedEventTypeName, EventEntry, LogEntry, Position } from '@blockcast/protocol';
import type { EmitRefusedError } from './emit-refused-error.js';
import type { LogResetError } from './log-reset-error.js';

/**
 * The ordered, height-indexed log of committed blocks (architecture §4), and the generic events
 * emitted between them. Appends are contiguous by height, nothing is ever reordered. A generic
 * event sits after the last block at the time, at position `H-S` (a block is `H-0`), so blocks and
 * events share one total order, and reads and tails take one cursor: a position.
 */
export interface EventLog {
  /**
   * Appends one block atomically. Accepted when it is the first height (`firstHeight`) of an
   * empty log, or follows the last height (`block.height - 1`). Resending a block already in the log with the same digest is an
   * idempotent success (`duplicate`). Throws {@link AppendRefusedError} for a gap, a conflict
   * or a height older than retention; nothing is written then.
   */
  append(block: BlockEvent): Promise<AppendResult>;

  /**
   * The log's epoch: which history its heights belong to. Made with the log (its first append),
   * changed whenever the stream is recreated or rolled back; null while nothing was ever appended.
   */
  epoch(): Promise<string | null>;

  /**
   * Places one generic event after the newest block H (firstHeight − 1 before any block), at
   * `H-S` with S = 1, 2, …; the first emit of an empty log makes its epoch, as an append does.
   * With an `idempotencyKey` seen within the window the original event is answered (`duplicate`)
   * and nothing is written. Throws {@link EmitRefusedError} (nothing written) for a key reused
   * with another body, a full height or an oversized event; RangeError for a malformed request.
   */
  emit(request: EmitRequest): Promise<EmitResult>;

  /**
   * Entries (blocks and generic events) strictly after `after`, ascending, at most `limit`. With
   * `epoch` (the history `after` belongs to), throws {@link LogResetError} (`reset`) instead when
   * the log's epoch is another, so a reader of one history never takes entries of the next.
   */
  readEntries(after: Position, limit: number, epoch?: string): Promise<LogEntry[]>;

  /**
   * Every entry after `after` (a Position, or 'latest': the last entry when the tail begins), in
   * order, first the ones already in the log, then live ones as they are written, until `signal`
   * aborts (then the iteration ends without error). Survives connection loss: it resumes from the
   * last entry it yielded. Ends by throwing {@link LogResetError} when the history under it
   * changed (the epoch is not `options.epoch`, or the entries below the cursor are not the ones
   * it read: the top fell below them, or the entry it took is gone or rewritten), so a cursor
   * never reads another history.
   */
  tailEntries(options: TailOptions): AsyncIterable<LogEntry>;

  /** First and last retained block heights, or null when the log holds no block. */
  bounds(): Promise<LogBounds | null>;

  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>;

  close(): Promise<void>;
}

export interface TailOptions {
  after: Position | 'latest';
  /** The epoch `after` belongs to (default: the log's epoch when the tail starts). */
  epoch?: string;
  signal: AbortSignal;
  /** Entries fetched per read (default 100). */
  batchSize?: number;
}

export interface EmitRequest {
  type: EmittedEventTypeName;
  /** JSON; the caller validated it against the type's catalog schema. */
  content: unknown;
  /** Milliseconds since the epoch when the event was accepted. */
  emittedAt: number;
  /** Client-chosen (the `Idempotency-Key` header): a retry with it within the window is not emitted twice. */
  idempotencyKey?: string;
}

/** `event` is the stored event: for a duplicate, the original (its position, content and time). */
export type EmitResult = { status: 'appended' | 'duplicate'; event: EventEntry; epoch: string };

export interface LogBounds {
  first: number;
  last: number;
}

/** `epoch` is the history the block is in (the log's epoch after this append). */
export type AppendResult = { status: 'appended' | 'duplicate'; height: number; epoch: string };

export type AppendRefusal = 'HEIGHT_GAP' | 'HEIGHT_CONFLICT' | 'HEIGHT_BEYOND_RETENTION';

/** A refused append: `expectedHeight` is the next height the log would accept. */
export class AppendRefusedError extends Error {
  constructor(
    readonly code: AppendRefusal,
    readonly height: number,
    readonly expectedHeight: number,
  ) {
    super(describeRefusal(code, height, expectedHeight));
    this.name = 'AppendRefusedError';
  }
}

function describeRefusal(code: AppendRefusal, height: number, expected: number): string {
  switch (code) {
    case 'HEIGHT_GAP':
      return `block ${height} does not follow the last block: the next height expected is ${expected}`;
    case 'HEIGHT_CONFLICT':
      return `block ${height} is already in the log with different content; the next height expected is ${expected}`;
    case 'HEIGHT_BEYOND_RETENTION':
      return `block ${height} is older than the retained history and cannot be checked; the next height expected is ${expected}`;
  }
}

/** Options every implementation shares. */
export interface EventLogOptions {
  /** Blocks kept; older ones are trimmed (default 100 000). */
  retainBlocks?: number;
  /** The only height an empty log accepts (default 1); anything else is a HEIGHT_GAP. */
  firstHeight?: number;
  /** Generic events after one block at most (default 1000): a flood waits for the next block. */
  maxEventsPerHeight?: number;
  /** Largest event `content`, as JSON in bytes (default 65 536). */
  maxEventBytes?: number;
  /** How long an idempotency key is remembered (default 24 h). */
  idempotencyWindowMs?: number;
}
