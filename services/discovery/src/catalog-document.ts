import { type Profile, STREAM_CATALOG, StreamName } from '@blockcast/protocol';
import { streamsRootUrl, streamUrl } from './advertised-urls.js';
import type { DiscoveryConfig } from './config.js';
import { exampleFrame } from './example-frames.js';

/**
 * `GET /api/v1/streams`: what a client developer needs to connect without reading the source —
 * every stream with its advertised URL, frame shape, filters, resume rule and retention.
 */
type FilterName = 'public_key' | 'asset_id' | 'operation';

const TRANSACTION_FILTERS: readonly FilterName[] = ['public_key', 'asset_id', 'operation'];

/** Filters select transactions, so they apply to the streams whose frames are one transaction each. */
const STREAM_FILTERS: Readonly<Record<StreamName, readonly FilterName[]>> = {
  valid_transactions: TRANSACTION_FILTERS,
  valid_blocks: [],
  valid_tx: TRANSACTION_FILTERS,
  invalid_transactions: TRANSACTION_FILTERS,
  events: [],
};

const FILTERS = {
  public_key:
    'Transactions with this public key in any output. Repeat the parameter to match any of several keys (OR).',
  asset_id: 'Transactions on this asset (a CREATE is its own asset).',
  operation: 'Transactions with this operation, e.g. CREATE or TRANSFER.',
  combination:
    'Different parameters AND together; repeated public_key values OR. An invalid value is refused with HTTP 400 at upgrade.',
} as const;

const RESUME = {
  parameter: 'since',
  usage: '?since=<height>',
  description:
    'Delivers every event with height greater than since from history, then live, with no gap or duplicate at the seam.',
  too_old:
    'A since older than the oldest retained height is refused (HTTP 410 at upgrade, close code 4010 once connected) with the oldest available height; never a partial replay.',
} as const;

/** Frames of the 0.10 legacy profile are BigchainDB's; only Planetmint differs (`asset_ids`). */
function frameProfile(config: DiscoveryConfig): Profile {
  return config.profile === 'planetmint' ? 'planetmint' : 'bigchaindb';
}

export function buildCatalogDocument(config: DiscoveryConfig): Record<string, unknown> {
  return {
    profile: config.profile,
    streams_root: streamsRootUrl(config.advertised),
    retention_blocks: config.retainBlocks,
    filters: FILTERS,
    resume: RESUME,
    streams: STREAM_CATALOG.map((stream) => ({
      name: stream.name,
      url: streamUrl(config.advertised, stream.name),
      description: stream.description,
      origin: stream.origin,
      frame: stream.frame,
      example: exampleFrame(stream.name, frameProfile(config)),
      parameters:
        stream.name === StreamName.EVENTS
          ? { types: 'Bit mask of event types, e.g. 1, 2, 3 or -1 (all).' }
          : {},
      filters: STREAM_FILTERS[stream.name],
      resume: RESUME.usage,
      retention_blocks: config.retainBlocks,
      profile: config.profile,
    })),
  };
}
