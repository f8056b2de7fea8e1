/** The stream catalog: names under `/api/v1/streams/` and what each one carries. */
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
  /** One example frame, as sent. */
  frame: string;
  origin: string;
}

export const STREAM_CATALOG: readonly StreamDescription[] = [
  {
    name: 'valid_transactions',
    description: 'One frame per committed valid transaction, in height then block order.',
    frame:
      '{"height":H,"asset_id":"…","transaction_id":"…"} (bigchaindb) | {"height":H,"asset_ids":["…"],"transaction_id":"…"} (planetmint)',
    origin: 'BigchainDB 2.x, Planetmint',
  },
  {
    name: 'valid_blocks',
    description: 'One frame per committed block, empty blocks included.',
    frame: '{"height":H,"hash":"…","transaction_ids":["…"]}',
    origin: 'Planetmint',
  },
  {
    name: 'valid_tx',
    description:
      'The 0.10 legacy stream; text "ping" is answered with "pong", idle connections close after 3 minutes.',
    frame: '{"txid":"…","assetid":"…","blockid":"…"}',
    origin: 'BigchainDB 0.10 spec',
  },
  {
    name: 'invalid_transactions',
    description: 'One frame per transaction the network rejected, with its code and reason.',
    frame: '{"height":H,"transaction_id":"…","code":C,"reason":"…"}',
    origin: 'BigchainDB #1530, #2513',
  },
  {
    name: 'events',
    description:
      'Plugin-API events selected by a bit mask: ?types=1 (BLOCK_VALID), 2 (BLOCK_INVALID), -1 (all).',
    frame: '{"type":"BLOCK_VALID","height":H,"hash":"…","transactions":[…]}',
    origin: 'BigchainDB event plugin API, LEAP events',
  },
];

export function isStreamName(name: string): name is StreamName {
  return STREAM_CATALOG.some((stream) => stream.name === name);
}
