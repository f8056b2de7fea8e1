/**
 * The event-type catalog: bit flags as in BigchainDB's event plugin API, extensible like
 * LEAP's catalog — a new type is one more entry here with the next power of two.
 * `block` types are derived from committed blocks; `emitted` types are posted by clients
 * (`POST /api/v1/events/<type>`, LEAP's `emit`) and their `content` must match `schema`.
 */
export interface EventCatalogEntry {
  bit: number;
  source: 'block' | 'emitted';
  description: string;
  /** JSON Schema (draft 2020-12) of an emitted event's `content`. */
  schema?: Readonly<Record<string, unknown>>;
}

export const EVENT_CATALOG = {
  BLOCK_VALID: { bit: 1, source: 'block', description: 'a committed block and its valid transactions' },
  BLOCK_INVALID: { bit: 2, source: 'block', description: 'the transactions the network rejected in a block' },
  NODE_STATUS: {
    bit: 4,
    source: 'emitted',
    description: "a chain node's operator reports the node's state",
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['node_id', 'status'],
      properties: {
        node_id: { type: 'string', minLength: 1, maxLength: 128 },
        status: { enum: ['up', 'syncing', 'degraded', 'down'] },
        height: { type: 'integer', minimum: 0 },
        message: { type: 'string', maxLength: 1024 },
      },
    },
  },
  APP_MESSAGE: {
    bit: 8,
    source: 'emitted',
    description: 'an application message on a topic, redistributed to every registered client',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['topic', 'body'],
      properties: {
        topic: { type: 'string', minLength: 1, maxLength: 128 },
        body: {},
      },
    },
  },
} as const satisfies Record<string, EventCatalogEntry>;

export type EventTypeName = keyof typeof EVENT_CATALOG;

/** Names of the types clients emit (everything but the block-derived ones). */
export type EmittedEventTypeName = {
  [K in EventTypeName]: (typeof EVENT_CATALOG)[K]['source'] extends 'emitted' ? K : never;
}[EventTypeName];

/** Name → bit, the shape the plugin API and masks use: `EventType.BLOCK_VALID | EventType.NODE_STATUS`. */
export const EventType = Object.fromEntries(
  Object.entries(EVENT_CATALOG).map(([name, entry]) => [name, entry.bit]),
) as { readonly [K in EventTypeName]: (typeof EVENT_CATALOG)[K]['bit'] };

export function isEmittedEventType(name: string): name is EmittedEventTypeName {
  return Object.hasOwn(EVENT_CATALOG, name) && EVENT_CATALOG[name as EventTypeName].source === 'emitted';
}

/** Every type, present and future: `event.type & ALL` is never 0. */
export const ALL_EVENT_TYPES = ~0;

export function matchesMask(type: number, mask: number): boolean {
  return (type & mask) !== 0;
}

/** Every bit a known type has: a mask that shares none of them would select nothing. */
export const KNOWN_EVENT_TYPES = Object.values(EVENT_CATALOG).reduce<number>(
  (mask, entry) => mask | entry.bit,
  0,
);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Why `mask` cannot select event types, or undefined when it can. Masks are 32-bit signed
 * integers (`-1` is every type): a wider number would silently wrap onto other bits in `&`.
 */
export function typeMaskProblem(mask: number): string | undefined {
  if (!Number.isInteger(mask) || mask < INT32_MIN || mask > INT32_MAX) {
    return `expected a 32-bit bit mask (${INT32_MIN} to ${INT32_MAX}; -1 for every type)`;
  }
  if ((mask & KNOWN_EVENT_TYPES) === 0) return 'it selects no known event type';
  return undefined;
}
