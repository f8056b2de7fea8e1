import {
  type BlockEvent,
  blockInvalidEventFrame,
  blockValidEventFrame,
  EventType,
  type GenericEvent,
  genericEventFrame,
  type LogEntry,
  matchesMask,
} from '@blockcast/protocol';
import type { BlockPluginEvent, GenericPluginEvent, PluginEvent } from './plugin-api.js';

/** The events one block yields, in type order: BLOCK_VALID always (empty blocks too), BLOCK_INVALID when something was rejected. */
export function eventsOfBlock(block: BlockEvent): BlockPluginEvent[] {
  const events = [blockPluginEvent('BLOCK_VALID', block, blockValidEventFrame(block))];
  if (block.rejected.length > 0)
    events.push(blockPluginEvent('BLOCK_INVALID', block, blockInvalidEventFrame(block)));
  return events;
}

/** A generic event as plugins get it: its frame is the one `events` streams send, byte for byte. */
export function eventOfGeneric(event: GenericEvent): GenericPluginEvent {
  const { type: name, height, seq } = event;
  return {
    type: EventType[name],
    name,
    height,
    seq,
    id: `${height}-${seq}:${name}`,
    json: genericEventFrame(event),
    event,
  };
}

/** The events of a bus entry a plugin with `mask` receives: exactly those with `event.type & mask`. */
export function eventsForMask(entry: LogEntry, mask: number): PluginEvent[] {
  const events: PluginEvent[] = entry.kind === 'event' ? [eventOfGeneric(entry)] : eventsOfBlock(entry);
  return events.filter((event) => matchesMask(event.type, mask));
}

function blockPluginEvent(name: BlockPluginEvent['name'], block: BlockEvent, json: string): BlockPluginEvent {
  return { type: EventType[name], name, height: block.height, id: `${block.height}:${name}`, json, block };
}
