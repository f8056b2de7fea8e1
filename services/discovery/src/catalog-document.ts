import {
  EventType,
  LEGACY_IDLE_TIMEOUT_MS,
  PROFILES,
  type Profile,
  STREAM_CATALOG,
  StreamName,
} from '@blockcast/protocol';
import { streamsRootUrl, streamUrl } from './advertised-urls.js';
import type { DiscoveryConfig } from './config.js';
import { exampleFrame } from './example-frames.js';

/**
 * `GET /api/v1/streams`: what a client developer needs to connect without reading the source —
 * every stream with its advertised URL, frame shape, the query parameters the gateway accepts,
 * the keep-alive, and the retention. It offers only what a gateway of this release accepts.
 */

/**
 * What the gateways accept beyond the stream name and its parameters. Today they refuse
 * `since`, `public_key`, `asset_id` and `operation` at upgrade with 400 PARAMETER_NOT_SUPPORTED,
 * so both are off and the catalog offers neither. The one place to switch them on when the
 * gateway implements them (test/discovery/stream-catalog.test.ts asks the gateway's own request
 * parser and fails until this agrees with it).
 */
export interface GatewayFeatures {
  /** `public_key`, `asset_id`, `operation` on the streams whose frames are one transaction each. */
  filters: boolean;
  /** `?since=<height>`: replay from the retained history, then live. */
  resume: boolean;
}

export const GATEWAY_FEATURES: Readonly<GatewayFeatures> = { filters: false, resume: false };

type FilterName = 'public_key' | 'asset_id' | 'operation';

/** Filters select transactions, so they apply to the streams whose frames are one transaction each. */
const FILTERED_STREAMS: ReadonlySet<StreamName> = new Set([
  StreamName.VALID_TRANSACTIONS,
  StreamName.LEGACY_VALID_TX,
  StreamName.INVALID_TRANSACTIONS,
]);

const FILTERS: Readonly<Record<FilterName, string>> = {
  public_key:
    'Transactions with this public key in any output. Repeat the parameter to match any of several keys (OR); different filters AND together.',
  asset_id: 'Transactions on this asset (a CREATE is its own asset).',
  operation: 'Transactions with this operation, e.g. CREATE or TRANSFER.',
};

const RESUME_USAGE = '?since=<height>';

const RESUME = {
  supported: true,
  parameter: 'since',
  usage: RESUME_USAGE,
  description:
    'Delivers every event with height greater than since from history, then live, with no gap or duplicate at the seam.',
  too_old:
    'A since older than the oldest retained height is refused (HTTP 410 at upgrade, close code 4010 once connected) with the oldest available height; never a partial replay.',
} as const;

const NO_RESUME = {
  supported: false,
  description:
    'Not offered by this gateway: after a disconnect, connect again to continue live. A since parameter is refused at upgrade with HTTP 400 PARAMETER_NOT_SUPPORTED.',
} as const;

const KEEP_ALIVE = {
  send: 'ping',
  reply: 'pong',
  description: `Send the text message "ping" on any stream and the gateway answers "pong". On valid_tx (the 0.10 stream) a client that sends none for ${LEGACY_IDLE_TIMEOUT_MS / 1000} seconds is closed; on the other streams the gateway sends WebSocket pings itself and closes a peer that does not answer them.`,
} as const;

/** Frames of the 0.10 legacy profile are BigchainDB's; only Planetmint differs (`asset_ids`). */
function frameProfile(config: DiscoveryConfig): Profile {
  return config.profile === 'planetmint' ? 'planetmint' : 'bigchaindb';
}

interface ParameterDoc {
  values: readonly string[];
  default: string;
  description: string;
}

/** The query parameters the gateway reads for each stream (it ignores any other). */
function streamParameters(stream: StreamName, config: DiscoveryConfig): Record<string, ParameterDoc> {
  if (stream === StreamName.VALID_TRANSACTIONS) {
    return {
      profile: {
        values: PROFILES,
        default: frameProfile(config),
        description: 'Frame shape: bigchaindb has asset_id (BigchainDB 2.x), planetmint has asset_ids.',
      },
    };
  }
  if (stream === StreamName.EVENTS) {
    const flags = Object.entries(EventType).map(([name, flag]) => `${flag} ${name}`);
    return {
      types: {
        values: Object.keys(EventType),
        default: 'all',
        description: `Which event types: a bit mask (${flags.join(', ')}, -1 all) or names separated by "," or "|".`,
      },
    };
  }
  return {};
}

export function buildCatalogDocument(
  config: DiscoveryConfig,
  features: Readonly<GatewayFeatures> = GATEWAY_FEATURES,
): Record<string, unknown> {
  return {
    profile: config.profile,
    streams_root: streamsRootUrl(config.advertised),
    retention_blocks: config.retainBlocks,
    keep_alive: KEEP_ALIVE,
    filters: features.filters
      ? Object.entries(FILTERS).map(([parameter, description]) => ({ parameter, description }))
      : [],
    resume: features.resume ? RESUME : NO_RESUME,
    streams: STREAM_CATALOG.map((stream) => ({
      name: stream.name,
      url: streamUrl(config.advertised, stream.name),
      description: stream.description,
      origin: stream.origin,
      frame: stream.frame,
      example: exampleFrame(stream.name, frameProfile(config)),
      parameters: streamParameters(stream.name, config),
      filters: features.filters && FILTERED_STREAMS.has(stream.name) ? Object.keys(FILTERS) : [],
      resume: features.resume ? RESUME_USAGE : null,
      retention_blocks: config.retainBlocks,
      profile: config.profile,
    })),
  };
}
