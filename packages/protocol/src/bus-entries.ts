import { isGenericEvent, type LogEntry } from './generic-event.js';
import { genericEventFramesFor } from './generic-event-selection.js';
import type { Position } from './position.js';
import { framesFor, type Subscription } from './subscription.js';

/** The frames a subscription gets for one entry of the bus, block or generic event, in order. */
export function entryFramesFor(sub: Subscription, entry: LogEntry): string[] {
  return isGenericEvent(entry) ? genericEventFramesFor(sub, entry) : framesFor(sub, entry);
}

/** Where an entry sits on the bus: a block at `{height, 0}`, a generic event at `{height, seq}`. */
export function entryPosition(entry: LogEntry): Position {
  return isGenericEvent(entry) ? { height: entry.height, seq: entry.seq } : { height: entry.height, seq: 0 };
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
