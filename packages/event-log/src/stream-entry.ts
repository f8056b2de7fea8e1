import type { BlockEvent } from '@blockcast/protocol';

/**
 * How a block sits in the Redis stream: ID `<height>-0`, fields `digest` (tells a duplicate
 * from a conflict without parsing), `block` (the BlockEvent as JSON) and `epoch` (the history it
 * was appended to; absent on entries written before epochs).
 */
export type StreamEntry = [id: string, fields: string[]];

export function entryId(height: number): string {
  return `${height}-0`;
}

export function heightOfId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function encodeBlock(block: BlockEvent): string {
  return JSON.stringify(block);
}

export function decodeEntry([id, fields]: StreamEntry): BlockEvent {
  const block = fieldOf(fields, 'block');
  if (block !== undefined) return JSON.parse(block) as BlockEvent;
  throw new Error(`stream entry ${id} has no "block" field: the key holds something blockcast did not write`);
}

export function entryEpoch([, fields]: StreamEntry): string | undefined {
  return fieldOf(fields, 'epoch');
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === name) return fields[i + 1];
  }
  return undefined;
}
