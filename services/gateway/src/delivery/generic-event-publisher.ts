import type { TemplatedApp } from 'uWebSockets.js';
import { type GenericEvent, genericEventFrame, selectsGenericEvent } from '@blockcast/protocol';
import type { SentCounter } from './block-publisher.js';
import type { LiveSubscriptions } from './live-subscriptions.js';

/**
 * Publishes one generic event to the live sockets the moment it is read, not with the next block:
 * one frame, built once, to every unfiltered `events` key whose mask selects its type (filtered
 * keys never take generic events). The event must already be in the ring. Returns the keys it went to.
 */
export function publishGenericEvent(
  app: TemplatedApp,
  event: GenericEvent,
  live: LiveSubscriptions,
  onSent: SentCounter,
): number {
  let frame: string | undefined;
  let keys = 0;
  for (const [key, subscription] of live.unfiltered()) {
    if (!selectsGenericEvent(subscription, event.type)) continue;
    frame ??= genericEventFrame(event);
    const subscribers = app.numSubscribers(key);
    app.publish(key, frame, false, false);
    live.published(key, Date.now());
    onSent(subscription.stream, subscribers, frame.length * subscribers);
    keys += 1;
  }
  return keys;
}
