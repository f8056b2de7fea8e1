import { createHash, randomBytes } from 'node:crypto';
import bs58 from 'bs58';
import type { Transaction } from './transaction.js';

/**
 * Builds transactions with the structure BigchainDB 2.0 / Planetmint 3.0 nodes publish
 * (see test/fixtures): ed25519 conditions, base58 keys, fulfillments, metadata. They are not
 * signed — blockcast never verifies signatures; it streams what the chain committed.
 */
export type TransactionVersion = '2.0' | '3.0';

export function newPublicKey(): string {
  return bs58.encode(randomBytes(32));
}

export interface OutputSpec {
  publicKeys: string[];
  amount?: string;
}

function output({ publicKeys, amount = '1' }: OutputSpec) {
  const [first] = publicKeys;
  return {
    amount,
    condition: {
      details:
        publicKeys.length === 1
          ? { public_key: first, type: 'ed25519-sha-256' }
          : {
              subconditions: publicKeys.map((key) => ({ public_key: key, type: 'ed25519-sha-256' })),
              threshold: publicKeys.length,
              type: 'threshold-sha-256',
            },
      uri: `ni:///sha-256;${randomBytes(32).toString('base64url')}?fpt=ed25519-sha-256&cost=131072`,
    },
    public_keys: publicKeys,
  };
}

function input(ownersBefore: string[], fulfills: { transaction_id: string; output_index: number } | null) {
  return { fulfillment: randomBytes(96).toString('base64url'), fulfills, owners_before: ownersBefore };
}

/** The id is the SHA3-256 of the body, as on the chain (serialisation details aside). */
function withId(body: Omit<Transaction, 'id'>): Transaction {
  const id = createHash('sha3-256').update(JSON.stringify(body)).digest('hex');
  return { ...body, id } as Transaction;
}

function assetField(version: TransactionVersion, asset: Record<string, unknown>) {
  return version === '3.0' ? { assets: [asset] } : { asset };
}

export function createTransaction(options: {
  issuer: string;
  owners: OutputSpec[];
  data: Record<string, unknown>;
  metadata?: unknown;
  version?: TransactionVersion;
}): Transaction {
  const version = options.version ?? '2.0';
  return withId({
    ...assetField(version, { data: options.data }),
    inputs: [input([options.issuer], null)],
    metadata: options.metadata ?? null,
    operation: 'CREATE',
    outputs: options.owners.map(output),
    version,
  });
}

export function transferTransaction(options: {
  assetId: string;
  spends: { transactionId: string; outputIndex: number; owners: string[] };
  owners: OutputSpec[];
  metadata?: unknown;
  version?: TransactionVersion;
}): Transaction {
  const version = options.version ?? '2.0';
  const { spends } = options;
  return withId({
    ...assetField(version, { id: options.assetId }),
    inputs: [
      input(spends.owners, { output_index: spends.outputIndex, transaction_id: spends.transactionId }),
    ],
    metadata: options.metadata ?? null,
    operation: 'TRANSFER',
    outputs: options.owners.map(output),
    version,
  });
}
