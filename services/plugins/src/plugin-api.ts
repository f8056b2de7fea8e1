import type { Logger } from '@blockcast/common';
import type { BlockEvent, EventTypeName } from '@blockcast/protocol';

/**
 * What a plugin module exports, as in BigchainDB's event plugin API: a bit mask of the event
 * types it wants (`EventType.BLOCK_VALID | EventType.BLOCK_INVALID`, or the numbers 1 | 2) and
 * `run`, which consumes the events. `run` is meant to run for as long as the host does: it
 * returns when `events` ends (the host stopping it); returning earlier or throwing counts as a
 * failure and the plugin is restarted.
 */
export interface PluginModule {
  eventTypes: number;
  run(events: AsyncIterable<PluginEvent>, context: PluginContext): Promise<void> | void;
}

/** One event, derived from one block on the bus; a block yields BLOCK_VALID, and BLOCK_INVALID when it has rejected transactions. */
export interface PluginEvent {
  /** The event type's bit: `EventType.BLOCK_VALID` (1) or `EventType.BLOCK_INVALID` (2). */
  type: number;
  name: EventTypeName;
  height: number;
  /** Unique per event and stable across redeliveries (`<height>:<name>`): delivery is at-least-once, so dedupe on it. */
  id: string;
  /** The event as `/api/v1/streams/events` sends it (`{"type": "BLOCK_VALID", "height": …}`), byte for byte. */
  json: string;
  /** The block on the bus the event comes from. */
  block: BlockEvent;
}

export interface PluginContext {
  /** The plugin's name in PLUGINS: its consumer group is `plugin:<name>`. */
  name: string;
  /** A built-in plugin's configuration, parsed by the host (external plugins get `{}`). */
  options: unknown;
  /** Aborts when the host stops the plugin: end retries and waits early, then stop asking for events. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * Parks an event the plugin gave up on in the stream `<prefix>plugins:<name>:dead` (fields
   * `event_id`, `type`, `height`, `event`, `reason`, `failed_at`), so the plugin can move on.
   */
  deadLetter(event: PluginEvent, reason: string): Promise<void>;
}
