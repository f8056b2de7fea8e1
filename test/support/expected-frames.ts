/**
 * What the original servers would send for a committed block, derived straight from the raw
 * transaction JSON (not through blockcast's normaliser), so stream tests check the gateway
 * against an independent reading of the spec.
 */
import type { CommittedBlock, Transaction } from '@blockcast/protocol';

/** A Python list of strings as json.dumps writes it: `["a", "b"]`. */
const list = (items: string[]) => `[${items.map((item) => `"${item}"`).join(', ')}]`;

function assetIds(tx: Transaction): string[] {
  if (tx.assets !== undefined) {
    if (tx.assets === null) return [tx.id];
    const list = Array.isArray(tx.assets) ? tx.assets : [tx.assets];
    return list.map((asset) => asset.id ?? tx.id);
  }
  return [tx.asset?.id ?? tx.id];
}

export function expectedValidTransactions(
  blocks: CommittedBlock[],
  profile: 'bigchaindb' | 'planetmint',
): string[] {
  return blocks.flatMap((block) =>
    block.transactions.map((tx) =>
      profile === 'planetmint'
        ? `{"height": ${block.height}, "asset_ids": ${list(assetIds(tx))}, "transaction_id": "${tx.id}"}`
        : `{"height": ${block.height}, "asset_id": "${assetIds(tx)[0]}", "transaction_id": "${tx.id}"}`,
    ),
  );
}

export function expectedValidBlocks(blocks: CommittedBlock[]): string[] {
  return blocks.map(
    (block) =>
      `{"height": ${block.height}, "hash": ${block.hash ? `"${block.hash}"` : 'null'}, "transaction_ids": ${list(block.transactions.map((tx) => tx.id))}}`,
  );
}

export function expectedLegacyValidTx(blocks: CommittedBlock[]): string[] {
  return blocks.flatMap((block) =>
    block.transactions.map(
      (tx) =>
        `{"txid": "${tx.id}", "assetid": "${assetIds(tx)[0]}", "blockid": "${block.hash ?? String(block.height)}"}`,
    ),
  );
}

export function expectedInvalidTransactions(blocks: CommittedBlock[]): string[] {
  return blocks.flatMap((block) =>
    (block.rejected ?? []).map(
      (entry) =>
        `{"height": ${block.height}, "transaction_id": "${entry.transaction.id}", "code": ${entry.code}, "reason": ${JSON.stringify(entry.log)}}`,
    ),
  );
}
