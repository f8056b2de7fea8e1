import type { CommittedBlock } from '@blockcast/protocol';
import { invalidBlock } from './errors.js';

/**
 * The shape of `POST /api/v1/blocks` (architecture §3), checked by fastify's ajv before the handler.
 *
 * Decisions:
 * - `height` ≥ 1: Tendermint/CometBFT commits start at 1, and `0-0` is not a valid stream entry id.
 * - The block envelope is closed (`additionalProperties: false`): a misspelt `rejected` would
 *   otherwise be carried silently. Transactions stay open: they are full BigchainDB 2.0 /
 *   Planetmint 3.0 JSON, and only the fields read by normalisation are checked.
 * - Ids are lowercase hex SHA3-256 (64 chars), as the nodes emit them: one spelling per id keeps
 *   filters and duplicates exact.
 */
const HEX_ID = '^[0-9a-f]{64}$';

const assetReference = {
  type: 'object',
  properties: { id: { type: 'string', pattern: HEX_ID } },
} as const;

const transaction = {
  type: 'object',
  required: ['id', 'operation'],
  properties: {
    id: { type: 'string', pattern: HEX_ID },
    operation: { type: 'string', minLength: 1 },
    asset: { type: ['object', 'null'], properties: assetReference.properties },
    assets: {
      type: ['array', 'object', 'null'],
      items: assetReference,
      properties: assetReference.properties,
    },
    outputs: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: { public_keys: { type: ['array', 'null'], items: { type: 'string' } } },
      },
    },
  },
} as const;

export const committedBlockSchema = {
  type: 'object',
  required: ['height', 'transactions'],
  additionalProperties: false,
  properties: {
    height: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    hash: { type: ['string', 'null'] },
    chain_id: { type: ['string', 'null'] },
    transactions: { type: 'array', items: transaction },
    rejected: {
      type: 'array',
      items: {
        type: 'object',
        required: ['transaction', 'code', 'log'],
        properties: { transaction, code: { type: 'integer' }, log: { type: 'string' } },
      },
    },
  },
} as const;

/** A transaction id twice in one block cannot be a committed block (the chain refuses replays). */
export function assertUniqueTransactionIds(block: CommittedBlock): void {
  const seen = new Map<string, number>();
  block.transactions.forEach((tx, index) => {
    const first = seen.get(tx.id);
    if (first !== undefined) {
      throw invalidBlock(
        `body/transactions/${index}/id repeats transaction ${tx.id} of /transactions/${first}: a block holds each transaction once`,
        `/transactions/${index}/id`,
      );
    }
    seen.set(tx.id, index);
  });
}
