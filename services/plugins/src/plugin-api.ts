import type { Logger } from '@blockcast/common';
import type { HistoryGap, HistoryReset } from '@blockcast/event-log';
import type { BlockEvent, EmittedEventTypeName, GenericEvent } from '@blockcast/protocol';

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
  /**
   * Optional: bus entries were trimmed by retention before the plugin took them (the host was down,
   * or the plugin too slow, for longer than RETAIN_BLOCKS). Called between two events, before the
   * first one after the gap; the events resume when it returns. Without it the gap is still logged
   * and counted. Throwing fails the plugin like run() throwing, and the gap is told again.
   */
  onGap?(gap: PluginGap, context: PluginContext): Promise<void> | void;
  /**
   * Optional: the bus was reset (recreated) or rolled back, so the events that follow belong to
   * another history (another epoch) than those before. Called before the first event of the new
   * history, which is delivered from its start. Without it the reset is still logged and counted.
   */
  onReset?(reset: PluginReset, context: PluginContext): Promise<void> | void;
}

/**
 * What onGap is told, as bus positions `{height, seq}` (a block is seq 0): every entry from `from`
 * up to, not including, `resumedAt` is gone; `lost` counts them (null when Redis cannot tell);
 * `oldest` is the oldest entry the bus still holds.
 */
export type PluginGap = HistoryGap;

/** What onReset is told: `cause` (`reset` or `rollback`), `previousEpoch` and `epoch` (null when none). */
export type PluginReset = HistoryReset;

/**
 * One event, in bus order: derived from a block (BLOCK_VALID, and BLOCK_INVALID when it has
 * rejected transactions), or a generic event emitted through ingest (NODE_STATUS, APP_MESSAGE…).
 * Tell them apart by `name`, or by `'block' in event`.
 */
export type PluginEvent = BlockPluginEvent | GenericPluginEvent;

interface PluginEventFields {
  /** The event type's bit (`EventType.BLOCK_VALID` is 1, `EventType.NODE_STATUS` 4…). */
  type: number;
  height: number;
  /**
   * Unique per event and stable across redeliveries: delivery is at-least-once, so dedupe on it.
   * `<height>:<name>` for a block's events, `<height>-<seq>:<name>` for a generic event.
   */
  id: string;
  /** The event as `/api/v1/streams/events` sends it (`{"type": "BLOCK_VALID", "height": …}`), byte for byte. */
  json: string;
}

export interface BlockPluginEvent extends PluginEventFields {
  name: 'BLOCK_VALID' | 'BLOCK_INVALID';
  /** The block on the bus the event comes from. */
  block: BlockEvent;
}

export interface GenericPluginEvent extends PluginEventFields {
  name: EmittedEventTypeName;
  /** Its place after block `height`: the event is at bus position `<height>-<seq>`. */
  seq: number;
  /** The generic event as the bus holds it (its `content` matched the catalog schema of its type). */
  event: GenericEvent;
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
