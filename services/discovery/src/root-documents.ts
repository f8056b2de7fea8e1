import { StreamName } from '@blockcast/protocol';
import { streamsRootUrl, streamUrl } from './advertised-urls.js';
import type { DiscoveryConfig, DiscoveryProfile } from './config.js';

/**
 * The API root documents of the original servers, one builder per document shape. Key order is part of
 * the contract: the originals serialised with Flask's sorted keys, and clients that compare or
 * cache the bodies byte-for-byte see the same bytes here (JSON.stringify keeps insertion order).
 */
export interface RootDocuments {
  /** `GET /` */
  root: Record<string, unknown>;
  /** `GET /api/v1/` */
  apiV1: Record<string, unknown>;
}

type Builder = (config: DiscoveryConfig) => RootDocuments;

/** What tells the BigchainDB 2.x and Planetmint documents apart; everything else is shared. */
interface V2Flavour {
  software: 'BigchainDB' | 'Planetmint';
  docsHost: string;
  /** Planetmint adds `streamedblocks`, the block stream, between `outputs` and `streams`. */
  streamedblocks: boolean;
}

/**
 * BigchainDB 2.x (`bigchaindb/web/views/info.py`) and Planetmint: the same v1 links under `/`
 * (absolute paths) and `/api/v1/` (relative), keys in the originals' sorted order.
 */
function v2RootDocuments(config: DiscoveryConfig, flavour: V2Flavour): RootDocuments {
  const docs = `https://${flavour.docsHost}/projects/server/en/v${config.softwareVersion}/`;
  const v1 = (prefix: string) => ({
    assets: `${prefix}assets/`,
    blocks: `${prefix}blocks/`,
    docs: `${docs}http-client-server-api.html`,
    metadata: `${prefix}metadata/`,
    outputs: `${prefix}outputs/`,
    ...(flavour.streamedblocks
      ? { streamedblocks: streamUrl(config.advertised, StreamName.VALID_BLOCKS) }
      : {}),
    streams: streamUrl(config.advertised, StreamName.VALID_TRANSACTIONS),
    transactions: `${prefix}transactions/`,
    validators: `${prefix}validators`,
  });
  return {
    root: { api: { v1: v1('/api/v1/') }, docs, software: flavour.software, version: config.softwareVersion },
    apiV1: v1('/'),
  };
}

export function bigchaindbRootDocuments(config: DiscoveryConfig): RootDocuments {
  return v2RootDocuments(config, {
    software: 'BigchainDB',
    docsHost: 'docs.bigchaindb.com',
    streamedblocks: false,
  });
}

export function planetmintRootDocuments(config: DiscoveryConfig): RootDocuments {
  return v2RootDocuments(config, {
    software: 'Planetmint',
    docsHost: 'docs.planetmint.io',
    streamedblocks: true,
  });
}

/**
 * BigchainDB 0.10, HAL-style `_links` with absolute URLs. `/` follows the 0.10 code's root plus
 * the `streams_v1` the 0.10 spec told clients to look for there (the streams root, to which a
 * client appends `valid_tx`); `/api/v1/` follows the 0.10 code, whose `streams_v1` is the
 * `valid_tx` stream itself. `keyring` and `public_key` are operator-supplied filler: blockcast
 * is not a federation node and has no key pair.
 */
export function legacyRootDocuments(config: DiscoveryConfig): RootDocuments {
  const docs = `https://docs.bigchaindb.com/projects/server/en/v${config.softwareVersion}/`;
  const api = `${config.advertised.apiUrl}/api/v1/`;
  return {
    root: {
      _links: { api_v1: api, docs, streams_v1: streamsRootUrl(config.advertised) },
      keyring: config.legacyKeyring,
      public_key: config.legacyPublicKey,
      software: 'BigchainDB',
      version: config.softwareVersion,
    },
    apiV1: {
      _links: {
        docs: `${docs}http-client-server-api.html`,
        self: api,
        statuses: `${api}statuses/`,
        streams_v1: streamUrl(config.advertised, StreamName.LEGACY_VALID_TX),
        transactions: `${api}transactions/`,
      },
    },
  };
}

const BUILDERS: Readonly<Record<DiscoveryProfile, Builder>> = {
  bigchaindb: bigchaindbRootDocuments,
  planetmint: planetmintRootDocuments,
  legacy: legacyRootDocuments,
};

export function buildRootDocuments(config: DiscoveryConfig): RootDocuments {
  return BUILDERS[config.profile](config);
}
