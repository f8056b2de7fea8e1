import type { Position } from '@blockcast/protocol';

/**
 * Heights are stream IDs (`<height>-0`) and array offsets, so they must be exact integers;
 * Redis refuses the ID `0-0`, so the first possible height is 1 (BigchainDB's first block).
 */
export function assertBlockHeight(height: unknown): asserts height is number {
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 1) {
    throw new RangeError(`block height must be an integer >= 1, got ${String(height)}`);
  }
}

export function assertReadLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) {
    throw new RangeError(`read limit must be an integer, got ${String(limit)}`);
  }
}

/** An entry cursor: a Position of non-negative integers (what `parsePosition` yields). */
export function assertPosition(position: unknown): asserts position is Position {
  const { height, seq } = (position ?? {}) as Partial<Position>;
  if (!isCount(height) || !isCount(seq)) {
    throw new RangeError(
      `entry cursor must be a position {height, seq} of integers >= 0, got ${String(position)}`,
    );
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
