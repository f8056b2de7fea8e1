import {
  type BlockEvent,
  blockInvalidEventFrame,
  blockValidEventFrame,
  EventType,
  type EventTypeName,
  matchesMask,
} from '@blockcast/protocol';
import type { PluginEvent } from './plugin-api.js';

/** The events one block yields, in type order: BLOCK_VALID always (empty blocks too), BLOCK_INVALID when something was rejected. */
export function eventsOfBlock(block: BlockEvent): PluginEvent[] {
  const events = [pluginEvent('BLOCK_VALID', block, blockValidEventFrame(block))];
  if (block.rejected.length > 0)
    events.push(pluginEvent('BLOCK_INVALID', block, blockInvalidEventFrame(block)));
  return events;
}

/** The events of `block` a plugin with `mask` receives: exactly those with `event.type & mask`. */
export function eventsForMask(block: BlockEvent, mask: number): PluginEvent[] {
  return eventsOfBlock(block).filter((event) => matchesMask(event.type, mask));
}

function pluginEvent(name: EventTypeName, block: BlockEvent, json: string): PluginEvent {
  return { type: EventType[name], name, height: block.height, id: `${block.height}:${name}`, json, block };
}
