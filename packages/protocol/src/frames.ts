import type { BlockEvent, TransactionEvent } from './block-event.js';
import type { GenericEvent } from './generic-event.js';
import { pythonJson, pythonJsonString } from './python-json.js';

/**
 * Frame builders: one JSON text frame per item, byte for byte what the original servers send
 * (architecture §6): their key order and Python's `json.dumps` spacing. Our own streams use the same
 * writer so every frame on the wire looks alike.
 */
export type FrameProfile = 'bigchaindb' | 'planetmint';

export const FRAME_PROFILES: readonly FrameProfile[] = ['bigchaindb', 'planetmint'];

/**
 * The frames a deployment (BLOCKCAST_PROFILE) serves: `legacy`, the 0.10 root document, has no
 * frames of its own, so BigchainDB 2.x's. The one place the deployment names map to frame names.
 */
export function frameProfileOf(deployment: FrameProfile | 'legacy'): FrameProfile {
  return deployment === 'legacy' ? 'bigchaindb' : deployment;
}

/**
 * `valid_transactions`: BigchainDB 2.x carries one `asset_id`, Planetmint a list `asset_ids`.
 * The hottest frame there is, so written as a template: the same bytes as `pythonJson` of the
 * object (a test holds the two equal), without walking it.
 */
export function validTransactionFrame(profile: FrameProfile, height: number, tx: TransactionEvent): string {
  // Only a safe integer is written by JSON.stringify as its plain digits, as the template does.
  if (!Number.isSafeInteger(height)) return validTransactionObjectFrame(profile, height, tx);
  const id = pythonJsonString(tx.id);
  if (profile === 'planetmint') {
    let assets = '';
    for (let i = 0; i < tx.assetIds.length; i += 1)
      assets += (i > 0 ? ', ' : '') + pythonJsonString(tx.assetIds[i]!);
    return `{"height": ${height}, "asset_ids": [${assets}], "transaction_id": ${id}}`;
  }
  const asset = tx.assetIds[0] === undefined ? id : pythonJsonString(tx.assetIds[0]);
  return `{"height": ${height}, "asset_id": ${asset}, "transaction_id": ${id}}`;
}

/** The same frame through the generic writer: the reference the template is held to. */
export function validTransactionObjectFrame(
  profile: FrameProfile,
  height: number,
  tx: TransactionEvent,
): string {
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
export function genericEventFrame(event: Pick<GenericEvent, 'type' | 'height' | 'seq' | 'content'>): string {
  return pythonJson({ type: event.type, height: event.height, seq: event.seq, content: event.content });
}
