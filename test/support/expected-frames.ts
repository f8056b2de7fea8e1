/**
 * What the original servers would send for a committed block, derived straight from the raw
 * transaction JSON (not through blockcast's normaliser), so stream tests check the gateway
 * against an independent reading of the spec.
 */
import {
  type CommittedBlock,
  EVENT_CATALOG,
  type GenericEvent,
  genericEventFrame,
  type Transaction,
} from '@blockcast/protocol';

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

/** What a client selects, read straight from the raw transactions (not through the protocol's filter). */
export interface RawFilter {
  publicKeys?: string[];
  assetIds?: string[];
  operations?: string[];
}

function publicKeys(tx: Transaction): string[] {
  const keys: string[] = [];
  for (const output of tx.outputs ?? []) {
    for (const key of output?.public_keys ?? []) if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

export function selects(filter: RawFilter | undefined, tx: Transaction): boolean {
  if (filter === undefined) return true;
  const { publicKeys: keys = [], assetIds: assets = [], operations = [] } = filter;
  if (operations.length > 0 && !operations.includes(tx.operation)) return false;
  if (assets.length > 0 && !assetIds(tx).some((id) => assets.includes(id))) return false;
  if (keys.length > 0 && !publicKeys(tx).some((key) => keys.includes(key))) return false;
  return true;
}

/** `events?types=<mask>` (with the filter, if any): BLOCK_VALID then BLOCK_INVALID per block. */
export function expectedEvents(blocks: CommittedBlock[], mask: number, filter?: RawFilter): string[] {
  const frames: string[] = [];
  for (const block of blocks) {
    const valid = block.transactions.filter((tx) => selects(filter, tx));
    const rejected = (block.rejected ?? []).filter((entry) => selects(filter, entry.transaction));
    if ((mask & 1) !== 0 && (filter === undefined || valid.length > 0)) {
      const txs = valid.map(
        (tx) =>
          `{"transaction_id": "${tx.id}", "operation": "${tx.operation}", "asset_ids": ${list(assetIds(tx))}, "public_keys": ${list(publicKeys(tx))}}`,
      );
      frames.push(
        `{"type": "BLOCK_VALID", "height": ${block.height}, "hash": ${block.hash ? `"${block.hash}"` : 'null'}, "transactions": [${txs.join(', ')}]}`,
      );
    }
    if ((mask & 2) !== 0 && rejected.length > 0) {
      const txs = rejected.map(
        (entry) =>
          `{"transaction_id": "${entry.transaction.id}", "code": ${entry.code}, "reason": ${JSON.stringify(entry.log)}}`,
      );
      frames.push(
        `{"type": "BLOCK_INVALID", "height": ${block.height}, "transactions": [${txs.join(', ')}]}`,
      );
    }
  }
  return frames;
}

/** The valid_transactions frames of the transactions `filter` selects. */
export function expectedFilteredTransactions(
  blocks: CommittedBlock[],
  profile: 'bigchaindb' | 'planetmint',
  filter: RawFilter,
): string[] {
  return expectedValidTransactions(
    blocks.map((block) => ({
      ...block,
      transactions: block.transactions.filter((tx) => selects(filter, tx)),
    })),
    profile,
  );
}

/** The invalid_transactions frames of the rejected transactions `filter` selects. */
export function expectedFilteredInvalid(blocks: CommittedBlock[], filter: RawFilter): string[] {
  return expectedInvalidTransactions(
    blocks.map((block) => ({
      ...block,
      rejected: (block.rejected ?? []).filter((entry) => selects(filter, entry.transaction)),
    })),
  );
}

/** Frames of blocks after `since` only: what a client resuming there must receive. */
export function after<T extends { height: number }>(blocks: T[], since: number): T[] {
  return blocks.filter((block) => block.height > since);
}

/** What the bus holds, in order, as a test made it: committed blocks and emitted generic events. */
export type BusItem = { block: CommittedBlock } | { event: GenericEvent };

/** The position of a bus item: `H` for a block, `H-S` for a generic event. */
export function busPosition(item: BusItem): string {
  return 'block' in item ? String(item.block.height) : `${item.event.height}-${item.event.seq}`;
}

/** The items after the one at `position` (`H`: after block H and the generic events emitted after it). */
export function busAfter(items: readonly BusItem[], position: string): BusItem[] {
  const [height, seq = 0] = position.split('-').map(Number) as [number, number?];
  return items.filter((item) => {
    const [h, s] = 'block' in item ? [item.block.height, 0] : [item.event.height, item.event.seq];
    return h > height || (h === height && s > (seq ?? 0));
  });
}

/** `events?types=<mask>` over blocks and generic events (unfiltered): generic events whose type the mask selects, where they are. */
export function expectedBusEvents(items: readonly BusItem[], mask: number): string[] {
  return items.flatMap((item) =>
    'block' in item
      ? expectedEvents([item.block], mask)
      : (EVENT_CATALOG[item.event.type].bit & mask) !== 0
        ? [genericEventFrame(item.event)]
        : [],
  );
}

/** The blocks of a bus sequence: what every block-only stream is made of. */
export function busBlocks(items: readonly BusItem[]): CommittedBlock[] {
  return items.flatMap((item) => ('block' in item ? [item.block] : []));
}
