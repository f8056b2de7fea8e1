/**
 * The stream catalog: the streams under `/api/v1/streams/`, what each carries and which query
 * parameters it takes. The gateway parses requests from this table and discovery renders the
 * catalog from it, so the two cannot disagree.
 */
import type { ParameterName } from './stream-parameters.js';

export const STREAMS_PATH = '/api/v1/streams/';

export const StreamName = {
  VALID_TRANSACTIONS: 'valid_transactions',
  VALID_BLOCKS: 'valid_blocks',
  LEGACY_VALID_TX: 'valid_tx',
  INVALID_TRANSACTIONS: 'invalid_transactions',
  EVENTS: 'events',
} as const;

export type StreamName = (typeof StreamName)[keyof typeof StreamName];

export interface StreamDescription {
  name: StreamName;
  description: string;
  /** The frame shape, as sent. */
  frame: string;
  origin: string;
  /** Query parameters this stream takes; any other known parameter is refused, unknown ones are ignored. */
  parameters: readonly ParameterName[];
}

const RESUME = ['since', 'epoch'] as const;
const FILTERS = ['public_key', 'asset_id', 'operation'] as const;

export const STREAM_CATALOG: readonly StreamDescription[] = [
  {
    name: 'valid_transactions',
    description: 'One frame per committed valid transaction, in height then block order.',
    frame:
      '{"height": H, "asset_id": "…", "transaction_id": "…"} (bigchaindb) | {"height": H, "asset_ids": ["…"], "transaction_id": "…"} (planetmint)',
    origin: 'BigchainDB 2.x, Planetmint',
    parameters: ['profile', ...RESUME, ...FILTERS],
  },
  {
    name: 'valid_blocks',
    description: 'One frame per committed block, empty blocks included.',
    frame: '{"height": H, "hash": "…", "transaction_ids": ["…"]}',
    origin: 'Planetmint',
    parameters: [...RESUME],
  },
  {
    name: 'valid_tx',
    description:
      'The 0.10 legacy stream; text "ping" is answered with "pong", idle connections close after 3 minutes.',
    frame: '{"txid": "…", "assetid": "…", "blockid": "…"}',
    origin: 'BigchainDB 0.10 spec',
    parameters: [...RESUME],
  },
  {
    name: 'invalid_transactions',
    description: 'One frame per transaction the network rejected, with its code and reason.',
    frame: '{"height": H, "transaction_id": "…", "code": C, "reason": "…"}',
    origin: 'BigchainDB #1530, #2513',
    parameters: [...RESUME, ...FILTERS],
  },
  {
    name: 'events',
    description:
      'Plugin-API and generic (LEAP) events selected by a bit mask: ?types=1 (BLOCK_VALID), 2 (BLOCK_INVALID), 4 (NODE_STATUS), 8 (APP_MESSAGE), -1 (all). Generic events are emitted with POST /api/v1/events/<type> and sent in the one order of the bus, between blocks, with their position: resume with since=H-S. With filters, an event carries only the matching transactions and is left out when none match; generic events are not sent to filtered streams.',
    frame:
      '{"type": "BLOCK_VALID", "height": H, "hash": "…", "transactions": […]} | {"type": "NODE_STATUS", "height": H, "seq": S, "content": {…}}',
    origin: 'BigchainDB event plugin API, LEAP events',
    parameters: ['types', ...RESUME, ...FILTERS],
  },
];

export function streamDescription(name: string): StreamDescription | undefined {
  return STREAM_CATALOG.find((stream) => stream.name === name);
}
