import type { GroupDelivery } from '@blockcast/event-log';
import type { PluginEvent } from '../plugin-api.js';
import { eventsForMask } from '../plugin-events.js';

/**
 * The `events` a plugin's run() iterates: each bus entry's events for its mask (a block's, or a
 * generic event), one at a time. An entry is acknowledged when run() asks for the event after its
 * last one (it has taken them), or at once when none match; a plugin that throws or dies
 * mid-entry gets that entry again.
 * Nothing is read from Redis before run() asks, so a slow plugin holds back its own reader only.
 */
export async function* acknowledgedEvents(
  deliveries: AsyncIterable<GroupDelivery>,
  mask: number,
  onTaken: (events: number, height: number) => void,
): AsyncGenerator<PluginEvent> {
  for await (const delivery of deliveries) {
    const events = eventsForMask(delivery.entry, mask);
    for (const event of events) yield event;
    // Only reached through next(): a return() or throw() from run() leaves the entry pending.
    await delivery.ack();
    onTaken(events.length, delivery.entry.height);
  }
}
