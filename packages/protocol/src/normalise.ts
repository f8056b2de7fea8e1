import type { BlockEvent, RejectedTransactionEvent, TransactionEvent } from './block-event.js';
import { blockDigest } from './digest.js';
import type { AssetReference, CommittedBlock, Transaction } from './transaction.js';

/**
 * Asset ids exactly as the original servers derive them (architecture §3):
 * BigchainDB 2.0 `asset.id` or the transaction's own id when the asset is created here (or null);
 * Planetmint 3.0 one id per entry of `assets`, `[tx.id]` when `assets` is null. A single
 * object in `assets` counts as one asset — Planetmint itself wrongly emits the whole object.
 */
export function assetIdsOf(tx: Transaction): string[] {
  if ('assets' in tx && tx.assets !== undefined) {
    if (tx.assets === null) return [tx.id];
    const assets: AssetReference[] = Array.isArray(tx.assets) ? tx.assets : [tx.assets];
    if (assets.length === 0) return [tx.id];
    return assets.map((asset) => (asset !== null && typeof asset.id === 'string' ? asset.id : tx.id));
  }
  const asset = tx.asset;
  return [asset !== null && asset !== undefined && typeof asset.id === 'string' ? asset.id : tx.id];
}

/** Union of `outputs[*].public_keys` in first-seen order; null lists and null outputs add nothing. */
export function publicKeysOf(tx: Transaction): string[] {
  const keys = new Set<string>();
  for (const output of tx.outputs ?? []) {
    for (const key of output?.public_keys ?? []) keys.add(key);
  }
  return [...keys];
}

export function normaliseTransaction(tx: Transaction): TransactionEvent {
  return { id: tx.id, operation: tx.operation, assetIds: assetIdsOf(tx), publicKeys: publicKeysOf(tx) };
}

export function normaliseBlock(block: CommittedBlock, ingestedAt: number = Date.now()): BlockEvent {
  const rejected: RejectedTransactionEvent[] = (block.rejected ?? []).map((entry) => ({
    ...normaliseTransaction(entry.transaction),
    code: entry.code,
    reason: entry.log,
  }));
  return {
    height: block.height,
    hash: block.hash ?? null,
    chainId: block.chain_id ?? null,
    transactions: block.transactions.map(normaliseTransaction),
    rejected,
    digest: blockDigest(block),
    ingestedAt,
  };
}
