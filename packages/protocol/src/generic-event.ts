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

/** What the bus holds, in order. */
export type LogEntry = BlockEvent | GenericEvent;

export function isGenericEvent(entry: LogEntry): entry is GenericEvent {
  return 'seq' in entry;
}
