import type { BlockEvent, TransactionEvent } from './block-event.js';
import type { GenericEvent } from './generic-event.js';
import { pythonJson } from './python-json.js';

/**
 * Frame builders: one JSON text frame per item, byte for byte what the original servers send
 * (architecture §6): their key order and Python's `json.dumps` spacing. Our own streams use the same
 * writer so every frame on the wire looks alike.
 */
export type Profile = 'bigchaindb' | 'planetmint';

export const PROFILES: readonly Profile[] = ['bigchaindb', 'planetmint'];

/** `valid_transactions`: BigchainDB 2.x carries one `asset_id`, Planetmint a list `asset_ids`. */
export function validTransactionFrame(profile: Profile, height: number, tx: TransactionEvent): string {
  if (profile === 'planetmint') {
    return pythonJson({ height, asset_ids: tx.assetIds, transaction_id: tx.id });
  }
  return pythonJson({ height, asset_id: tx.assetIds[0] ?? tx.id, transaction_id: tx.id });
}

/** `valid_blocks` (Planetmint's `streamedblocks`). */
export function validBlockFrame(block: BlockEvent): string {
  return pythonJson({
    height: block.height,
    hash: block.hash,
    transaction_ids: block.transactions.map((tx) => tx.id),
  });
}

/** `valid_tx` of the 0.10 spec; blocks had ids then, so the hash stands in (the height without one). */
export function legacyValidTxFrame(block: BlockEvent, tx: TransactionEvent): string {
  return pythonJson({
    txid: tx.id,
    assetid: tx.assetIds[0] ?? tx.id,
    blockid: block.hash ?? String(block.height),
  });
}

/** `invalid_transactions`: what BigchainDB #1530 / #2513 asked for. */
export function invalidTransactionFrame(
  height: number,
  tx: { id: string; code: number; reason: string },
): string {
  return pythonJson({ height, transaction_id: tx.id, code: tx.code, reason: tx.reason });
}

/** `events?types=<mask>`: the plugin-API view, one frame per event type a block produces. */
export function blockValidEventFrame(block: BlockEvent): string {
  return pythonJson({
    type: 'BLOCK_VALID',
    height: block.height,
    hash: block.hash,
    transactions: block.transactions.map((tx) => ({
      transaction_id: tx.id,
      operation: tx.operation,
      asset_ids: tx.assetIds,
      public_keys: tx.publicKeys,
    })),
  });
}

export function blockInvalidEventFrame(block: BlockEvent): string {
  return pythonJson({
    type: 'BLOCK_INVALID',
    height: block.height,
    transactions: block.rejected.map((tx) => ({ transaction_id: tx.id, code: tx.code, reason: tx.reason })),
  });
}

/** `events?types=<emitted type>`: a generic event, with its place on the bus (resume with `since=H-S`). */
export function genericEventFrame(event: GenericEvent): string {
  return pythonJson({ type: event.type, height: event.height, seq: event.seq, content: event.content });
}
