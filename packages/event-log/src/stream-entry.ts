import { type BlockEvent, blockEntry, type LogEntry, type Position } from '@blockcast/protocol';
import { decodeEvent } from './emit-options.js';

/**
 * How an entry sits in the Redis stream. A block: ID `<height>-0`, fields `digest` (tells a
 * duplicate from a conflict without parsing), `block` (the BlockEvent as JSON) and `epoch` (the
 * history it was appended to; absent on entries written before epochs). A generic event: ID
 * `<height>-<seq>` (seq ≥ 1), fields `event` (the GenericEvent as JSON) and `epoch`. Both also
 * carry `prev` and `chain` (stream-lua.ts): the entry's place in one history, so a reader tells
 * a rewritten position from the entry it took.
 */
export type StreamEntry = [id: string, fields: string[]];

export function entryId(height: number): string {
  return `${height}-0`;
}

export function positionId(position: Position): string {
  return `${position.height}-${position.seq}`;
}

export function heightOfId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function positionOfId(id: string): Position {
  const dash = id.indexOf('-');
  return { height: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

export function encodeBlock(block: BlockEvent): string {
  return JSON.stringify(block);
}

/**
 * A block or a generic event, by the field it carries; undefined for an entry blockcast did not
 * write (no `block` nor `event` field), which every reader skips.
 */
export function decodeLogEntry([, fields]: StreamEntry): LogEntry | undefined {
  const event = fieldOf(fields, 'event');
  if (event !== undefined) return decodeEvent(event);
  const block = fieldOf(fields, 'block');
  return block === undefined ? undefined : blockEntry(JSON.parse(block) as BlockEvent);
}

export function entryEpoch([, fields]: StreamEntry): string | undefined {
  return fieldOf(fields, 'epoch');
}

/** The chain of the history up to this entry (undefined on entries written before chains). */
export function entryChain([, fields]: StreamEntry): string | undefined {
  return fieldOf(fields, 'chain');
}

/** The chain of the entry before this one, as it was when this one was written. */
export function entryPrev([, fields]: StreamEntry): string | undefined {
  return fieldOf(fields, 'prev');
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === name) return fields[i + 1];
  }
  return undefined;
}
