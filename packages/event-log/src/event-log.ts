import type { BlockEvent } from '@blockcast/protocol';
import type { LogResetError } from './log-reset-error.js';

/**
 * The ordered, height-indexed log of committed blocks (architecture §4). The block height is the
 * cursor: appends are contiguous, reads and tails are by height, nothing is ever reordered.
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

  /** Blocks with `height >= fromHeight`, ascending, at most `limit`. Empty past the end. */
  read(fromHeight: number, limit: number): Promise<BlockEvent[]>;

  /**
   * Every block with `height > after`, in order, first the ones already in the log, then live
   * ones as they are appended, until `signal` aborts (then the iteration ends without error).
   * `after: 'latest'` starts after whatever is last when the tail begins.
   * Survives connection loss: it resumes from the last height it yielded. Ends by throwing
   * {@link LogResetError} when the history under it changed (the epoch is not `options.epoch`,
   * or the top went below a height this epoch held), so a cursor never reads another history.
   */
  tail(options: TailOptions): AsyncIterable<BlockEvent>;

  /** First and last retained heights, or null when the log is empty. */
  bounds(): Promise<LogBounds | null>;

  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>;

  close(): Promise<void>;
}

export interface TailOptions {
  after: number | 'latest';
  /** The epoch `after` belongs to (default: the log's epoch when the tail starts). */
  epoch?: string;
  signal: AbortSignal;
  /** Blocks fetched per read (default 100). */
  batchSize?: number;
}

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
}
