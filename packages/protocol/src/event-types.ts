/**
 * The event-type catalog: bit flags as in BigchainDB's event plugin API, extensible like
 * LEAP's catalog — a new type is one more line here with the next power of two.
 */
export const EventType = {
  BLOCK_VALID: 1,
  BLOCK_INVALID: 2,
} as const;

export type EventTypeName = keyof typeof EventType;

/** Every type, present and future: `event.type & ALL` is never 0. */
export const ALL_EVENT_TYPES = ~0;

export function matchesMask(type: number, mask: number): boolean {
  return (type & mask) !== 0;
}
