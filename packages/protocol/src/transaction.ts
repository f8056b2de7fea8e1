/**
 * The parts of a BigchainDB 2.0 / Planetmint 3.0 transaction that blockcast reads.
 * Everything else in the JSON is carried through untouched and never interpreted.
 */
export interface TransactionOutput {
  public_keys?: string[] | null;
  [field: string]: unknown;
}

export interface AssetReference {
  id?: string;
  data?: unknown;
  [field: string]: unknown;
}

export interface Transaction {
  id: string;
  operation: string;
  version?: string;
  /** BigchainDB 2.0: one asset (`{id}` on TRANSFER, `{data}` on CREATE) or null. */
  asset?: AssetReference | null;
  /** Planetmint 3.0: a list of assets; some published samples carry a single object. */
  assets?: AssetReference[] | AssetReference | null;
  outputs?: TransactionOutput[] | null;
  [field: string]: unknown;
}

/** A transaction the network refused, with the reason it gave (architecture §3 `rejected`). */
export interface RejectedTransaction {
  transaction: Transaction;
  code: number;
  log: string;
}

/** A committed block as ingest receives it: the payload the original node queued at COMMIT. */
export interface CommittedBlock {
  height: number;
  hash?: string | null;
  chain_id?: string | null;
  transactions: Transaction[];
  rejected?: RejectedTransaction[];
}
