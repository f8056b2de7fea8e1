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
