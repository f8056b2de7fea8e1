import { type EmittedEventTypeName, EVENT_CATALOG, matchesMask } from './event-types.js';
import { genericEventFrame } from './frames.js';
import type { GenericEvent } from './generic-event.js';
import type { Position } from './position.js';
import type { StreamRequest } from './stream-request.js';

type Selecting = Pick<StreamRequest, 'stream' | 'typeMask' | 'filter'>;

/** The bits of the emitted types: the part of a `types` mask that selects generic events. */
export const EMITTED_EVENT_TYPES = Object.values(EVENT_CATALOG).reduce<number>(
  (mask, entry) => (entry.source === 'emitted' ? mask | entry.bit : mask),
  0,
);

/**
 * Generic events go only to `events` subscriptions without a transaction filter (they carry no
 * transactions for a filter to select) whose mask selects their type.
 */
export function selectsGenericEvent(sub: Selecting, type: EmittedEventTypeName): boolean {
  return (
    sub.stream === 'events' && sub.filter === undefined && matchesMask(EVENT_CATALOG[type].bit, sub.typeMask)
  );
}

/** True when some generic event can reach this subscription: its position then carries seq. */
export function selectsGenericEvents(sub: Selecting): boolean {
  return (
    sub.stream === 'events' && sub.filter === undefined && matchesMask(EMITTED_EVENT_TYPES, sub.typeMask)
  );
}

/** The frames a subscription gets for one generic event: one, or none. */
export function genericEventFramesFor(sub: Selecting, event: GenericEvent): string[] {
  return selectsGenericEvent(sub, event.type) ? [genericEventFrame(event)] : [];
}

/**
 * The position a subscription reports (close reasons): one that no generic event can reach stands
 * at the last block's height (`H`), whatever events followed it, so block-only cursors stay heights.
 */
export function reportedPosition(sub: Selecting, position: Position): Position {
  return position.seq === 0 || selectsGenericEvents(sub) ? position : { height: position.height, seq: 0 };
}
