import {
  CLOSE_CODES,
  EVENT_CATALOG,
  frameProfileOf,
  LEGACY_IDLE_TIMEOUT_MS,
  MAX_FILTER_VALUES,
  STREAM_CATALOG,
  STREAM_PARAMETERS,
  UPGRADE_ERRORS,
} from '@blockcast/protocol';
import { streamsRootUrl, streamUrl } from './advertised-urls.js';
import type { DiscoveryConfig } from './config.js';
import { exampleFrame } from './example-frames.js';

/**
 * `GET /api/v1/streams`: what a client developer needs to connect without reading the source,
 * rendered from the protocol's tables (the ones the gateway parses requests with): every stream
 * with its URL, frame and parameters, the resume rule, the close codes and the refusals.
 */

/** Where the history stands, when discovery can read the event log. */
export interface StreamState {
  epoch: string | null;
  oldest: number | null;
  head: number | null;
}

const KEEP_ALIVE = {
  send: 'ping',
  reply: 'pong',
  description: `Send the text message "ping" on any stream and the gateway answers "pong". On valid_tx (the 0.10 stream) a client that sends none for ${LEGACY_IDLE_TIMEOUT_MS / 1000} seconds is closed; on the other streams the gateway sends WebSocket pings itself and closes a peer that does not answer them.`,
} as const;

const RESUME = {
  parameter: 'since',
  epoch_parameter: 'epoch',
  usage: '?since=<height>&epoch=<epoch>, or on events ?since=<height>-<seq>&epoch=<epoch>',
  description:
    'Delivers every event after the position since — from the gateway’s memory, then the event log, then live — with no gap or duplicate at the seam; filters apply to the replay too. A height H means after block H (and, on events, the generic events emitted after it); H-S means after the generic event S emitted after block H.',
  rule: 'Before the first connection read epoch and head_height here and connect with ?epoch=<E> (alone it pins a live connection; a Node client may read the X-Blockcast-Epoch header of the 101 answer instead). Always send epoch with since: since without it is refused 400 EPOCH_REQUIRED. After a close frame resume with its since=<P>; epoch=<E>. After a cut without one (network error, 1006) resume with since=<last height received minus 1>&epoch=<E> and drop frames you already have (same transaction_id; same height on valid_blocks); cut before any frame: since=<head_height read before connecting>. 409 EPOCH_MISMATCH or close 4011: the history changed, resynchronise and never continue silently. While the stream is empty (no epoch) connect without one; a client that never learned an epoch and was cut resynchronises.',
  too_old:
    'A since whose following entries are no longer all retained is refused with HTTP 410 HISTORY_GONE naming the oldest block still held (oldest_height), and a reader in catch-up that falls behind the retention is closed with 4010 and the same; never a partial or silent replay. Resume with since >= oldest_height - 1, or on events with generic event types since >= oldest_height (a block’s events may be trimmed before it).',
} as const;

function parameterDoc(name: keyof typeof STREAM_PARAMETERS, config: DiscoveryConfig) {
  const spec = STREAM_PARAMETERS[name];
  const fallback = name === 'profile' ? frameProfileOf(config.profile) : spec.default;
  return {
    description: spec.description,
    repeatable: spec.repeatable,
    ...(spec.repeatable ? { max_values: MAX_FILTER_VALUES } : {}),
    ...(spec.values ? { values: spec.values } : {}),
    ...(fallback !== undefined ? { default: fallback } : {}),
  };
}

export function buildCatalogDocument(config: DiscoveryConfig, state?: StreamState): Record<string, unknown> {
  return {
    profile: config.profile,
    streams_root: streamsRootUrl(config.advertised),
    retention_blocks: config.retainBlocks,
    ...(state ? { epoch: state.epoch, oldest_height: state.oldest, head_height: state.head } : {}),
    keep_alive: KEEP_ALIVE,
    resume: RESUME,
    event_types: Object.entries(EVENT_CATALOG).map(([name, entry]) => ({ name, ...entry })),
    close_codes: Object.entries(CLOSE_CODES).map(([name, spec]) => ({ name, ...spec })),
    errors: Object.entries(UPGRADE_ERRORS).map(([code, spec]) => ({ code, ...spec })),
    streams: STREAM_CATALOG.map((stream) => ({
      name: stream.name,
      url: streamUrl(config.advertised, stream.name),
      description: stream.description,
      origin: stream.origin,
      frame: stream.frame,
      example: exampleFrame(stream.name, frameProfileOf(config.profile)),
      parameters: Object.fromEntries(stream.parameters.map((name) => [name, parameterDoc(name, config)])),
      retention_blocks: config.retainBlocks,
      profile: config.profile,
    })),
  };
}
