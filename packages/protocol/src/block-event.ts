/**
 * What travels on the bus: a committed block reduced to what streams and filters need.
 * Full transaction bodies stay with the chain; the bus keeps 100 000 blocks of these.
 */
export interface TransactionEvent {
  /** `tx.id` */
  id: string;
  operation: string;
  /** One entry per asset the transaction touches, in the transaction's order. */
  assetIds: string[];
  /** Union of every output's public keys, first-seen order, no duplicates. */
  publicKeys: string[];
}

export interface RejectedTransactionEvent extends TransactionEvent {
  code: number;
  reason: string;
}

export interface BlockEvent {
  height: number;
  hash: string | null;
  chainId: string | null;
  /** Valid transactions in block order. */
  transactions: TransactionEvent[];
  /** Transactions the network rejected in this block, in the order given. */
  rejected: RejectedTransactionEvent[];
  /** SHA-256 of the block as submitted (canonical JSON): tells a duplicate from a conflict. */
  digest: string;
  /** Milliseconds since the epoch when ingest accepted the block: the origin of latency figures. */
  ingestedAt: number;
}
