import type { LogEntry } from './generic-event.js';
import { genericEventFramesFor } from './generic-event-selection.js';
import { comparePositions, type Position } from './position.js';
import { framesFor, type Subscription } from './subscription.js';

/** The frames a subscription gets for one entry of the bus, block or generic event, in order. */
export function entryFramesFor(sub: Subscription, entry: LogEntry): string[] {
  return entry.kind === 'event' ? genericEventFramesFor(sub, entry) : framesFor(sub, entry);
}

/** Where an entry sits on the bus: a block at `{height, 0}`, a generic event at `{height, seq}`. */
export function entryPosition(entry: LogEntry): Position {
  return { height: entry.height, seq: entry.kind === 'event' ? entry.seq : 0 };
}

/**
 * Whether `next` can be the entry right after `previous` on the bus: the next generic event after
 * the same block (seqs count 1, 2, …), or the next block. Anything else means entries in between
 * are missing (trimmed, or a gap).
 */
export function isNextOnBus(previous: Position, next: Position): boolean {
  if (next.seq === 0) return next.height === previous.height + 1;
  return next.height === previous.height && next.seq === previous.seq + 1;
}

/**
 * Whether a run of the log that starts at `first` and has nothing missing from there on holds
 * every entry a reader at `cursor` needs next, when the run is not known to hold the cursor's own
 * entry (it may have been trimmed). `withEvents`: the reader receives generic events. A block's
 * events can be trimmed before it, so a reader of events is served only from a run that starts at
 * or before its cursor or with the very next event of its height; a reader of blocks only needs
 * the next block, whatever became of the events before it. The one exception is the start of the
 * chain (`0`): a log starting with block 1 is read from the start.
 */
export function continuesAfter(cursor: Position, first: Position, withEvents: boolean): boolean {
  if (comparePositions(first, cursor) <= 0) return true;
  if (first.height === cursor.height && first.seq === cursor.seq + 1) return true;
  if (withEvents) return cursor.height === 0 && cursor.seq === 0 && first.height === 1 && first.seq === 0;
  return first.height === cursor.height || (first.seq === 0 && first.height === cursor.height + 1);
}

/** The oldest block a log holds when its oldest entry is at `first`: a generic event first means its block is gone. */
export function oldestBlockFrom(first: Position): number {
  return first.height + (first.seq > 0 ? 1 : 0);
}
