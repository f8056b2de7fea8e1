import type { BlockEvent } from './block-event.js';
import type { EmittedEventTypeName } from './event-types.js';

/**
 * A generic (LEAP-style) event on the bus: emitted by a client through ingest, placed after the
 * last block at the time (`height`, `seq` ≥ 1), so blocks and events share one total order and
 * one resume cursor.
 */
export interface GenericEvent {
  type: EmittedEventTypeName;
  /** The last block's height when it was emitted (the first height − 1 before any block). */
  height: number;
  /** 1, 2, … among the events after block `height`. */
  seq: number;
  /** Validated against the type's catalog schema. */
  content: unknown;
  /** Milliseconds since the epoch when ingest accepted it. */
  emittedAt: number;
}

/**
 * What the bus holds, in order, tagged by what it is. The tag is the reader's, never stored nor
 * sent: the stored JSON and the frames are the BlockEvent and GenericEvent fields alone.
 */
export type LogEntry = BlockEntry | EventEntry;
export type BlockEntry = BlockEvent & { kind: 'block' };
export type EventEntry = GenericEvent & { kind: 'event' };

/** `block` as a bus entry (a tagged shallow copy). */
export function blockEntry(block: BlockEvent): BlockEntry {
  return { ...block, kind: 'block' };
}

/** `event` as a bus entry (a tagged shallow copy). */
export function eventEntry(event: GenericEvent): EventEntry {
  return { ...event, kind: 'event' };
}
