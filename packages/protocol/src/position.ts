/**
 * A place on the bus: block `height` is `{height, seq: 0}`; the generic events emitted after it
 * are `{height, seq: 1, 2, …}` (Redis entry ID `<height>-<seq>`). Resume cursors are positions;
 * written `H` when seq is 0 and `H-S` otherwise, so every block-only cursor is just its height.
 */
export interface Position {
  height: number;
  seq: number;
}

export function comparePositions(a: Position, b: Position): number {
  return a.height - b.height || a.seq - b.seq;
}

export function formatPosition(position: Position): string {
  return position.seq === 0 ? String(position.height) : `${position.height}-${position.seq}`;
}

const POSITION_PATTERN = /^(0|[1-9][0-9]{0,15})(?:-(0|[1-9][0-9]{0,15}))?$/;

/** `H` or `H-S` with safe non-negative integers; undefined for anything else. */
export function parsePosition(text: string): Position | undefined {
  const match = POSITION_PATTERN.exec(text);
  if (match === null) return undefined;
  const height = Number(match[1]);
  const seq = match[2] === undefined ? 0 : Number(match[2]);
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(seq)) return undefined;
  return { height, seq };
}

/**
 * The index of the first of `items[from…]` after `cursor`, positions ascending (binary search);
 * `items.length` when none is.
 */
export function firstAfter<T>(
  items: readonly T[],
  cursor: Position,
  positionOf: (item: T) => Position,
  from = 0,
): number {
  let low = from;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (comparePositions(positionOf(items[middle]!), cursor) > 0) high = middle;
    else low = middle + 1;
  }
  return low;
}
