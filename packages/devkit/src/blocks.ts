/**
 * Realistic committed blocks for tests: BigchainDB 2.0 (`asset`) or Planetmint 3.0 (`assets`)
 * CREATE and TRANSFER transactions with SHA3 hex ids, base58 ed25519 keys, fulfillments and
 * conditions shaped like test/fixtures. Transactions come from the demo chain's factory, so
 * tests and the demo emit the same shapes; this module only adds the test-facing knobs.
 *
 *   makeBlock(7, 3)                         // height 7, a CREATE then TRANSFERs of it
 *   makeBlock(8, 0)                         // an empty block (still an event)
 *   makeBlock(9, 2, { rejected: 1, version: '3.0' })
 *   makeBlockEvent(10, 2)                   // normalised: what goes on the bus
 */
import { randomBytes } from 'node:crypto';
import {
  type BlockEvent,
  type CommittedBlock,
  createTransaction,
  newPublicKey,
  normaliseBlock,
  type Transaction,
  type TransactionVersion,
  transferTransaction,
} from '@blockcast/protocol';

export interface TransactionOptions {
  /** Default 'CREATE'. */
  operation?: 'CREATE' | 'TRANSFER';
  /** '2.0' BigchainDB (default) or '3.0' Planetmint. */
  version?: TransactionVersion;
  /** CREATE: the issuer; TRANSFER: the current owner spending the output (default: a new key). */
  from?: string;
  /** Keys of the single output (default: `from` for CREATE, a new key for TRANSFER). */
  to?: string[];
  /** TRANSFER: the asset moved (default: a random id). */
  assetId?: string;
  /** TRANSFER: the transaction whose output 0 is spent (default: `assetId`). */
  spends?: string;
  metadata?: unknown;
}

/** One transaction: a CREATE of a fresh asset, or a TRANSFER of `assetId`. */
export function makeTransaction(options: TransactionOptions = {}): Transaction {
  const version = options.version ?? '2.0';
  const from = options.from ?? newPublicKey();
  const metadata = options.metadata ?? { note: randomBytes(4).toString('hex') };
  if ((options.operation ?? 'CREATE') === 'CREATE') {
    return createTransaction({
      issuer: from,
      owners: [{ publicKeys: options.to ?? [from] }],
      data: { serial: randomBytes(8).toString('hex') },
      metadata,
      version,
    });
  }
  const assetId = options.assetId ?? randomHex(32);
  return transferTransaction({
    assetId,
    spends: { transactionId: options.spends ?? assetId, outputIndex: 0, owners: [from] },
    owners: [{ publicKeys: options.to ?? [newPublicKey()] }],
    metadata,
    version,
  });
}

export interface BlockOptions {
  version?: TransactionVersion;
  /** Transactions the network rejected, appended as `rejected` entries (default 0). */
  rejected?: number;
  /** App hash; default 32 random bytes as upper-case hex like Tendermint's; null for none. */
  hash?: string | null;
  chainId?: string;
}

/**
 * A committed block of `txCount` transactions: a CREATE, then a chain of TRANSFERs each spending
 * the previous output, so asset ids and public keys repeat the way they do on a real chain.
 */
export function makeBlock(height: number, txCount: number, options: BlockOptions = {}): CommittedBlock {
  const { version } = options;
  const transactions: Transaction[] = [];
  let owner = newPublicKey();
  for (let i = 0; i < txCount; i++) {
    const previous = transactions[i - 1];
    if (previous === undefined) {
      transactions.push(makeTransaction({ version, from: owner }));
      continue;
    }
    const next = newPublicKey();
    const assetId = transactions[0]!.id;
    transactions.push(
      makeTransaction({
        operation: 'TRANSFER',
        version,
        from: owner,
        to: [next],
        assetId,
        spends: previous.id,
      }),
    );
    owner = next;
  }
  const block: CommittedBlock = {
    height,
    hash: options.hash === undefined ? randomHex(32).toUpperCase() : options.hash,
    transactions,
  };
  if (options.chainId !== undefined) block.chain_id = options.chainId;
  const rejected = options.rejected ?? 0;
  if (rejected > 0) {
    block.rejected = Array.from({ length: rejected }, (_, i) => ({
      transaction: makeTransaction({ operation: 'TRANSFER', version }),
      code: 1 + i,
      log: 'input already spent',
    }));
  }
  return block;
}

/** {@link makeBlock} normalised: a BlockEvent as ingest puts it on the bus. */
export function makeBlockEvent(height: number, txCount: number, options: BlockOptions = {}): BlockEvent {
  return normaliseBlock(makeBlock(height, txCount, options));
}

/**
 * `count` consecutive events from `firstHeight`, varied like a live chain: some empty, some with
 * rejected transactions, 0–3 transactions each.
 */
export function makeBlockEvents(
  firstHeight: number,
  count: number,
  options: BlockOptions = {},
): BlockEvent[] {
  return Array.from({ length: count }, (_, i) =>
    makeBlockEvent(firstHeight + i, i % 4, { rejected: i % 5 === 2 ? 1 : 0, ...options }),
  );
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
