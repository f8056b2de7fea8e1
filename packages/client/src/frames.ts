/**
 * The frames of every stream, typed as the server sends them (docs/protocol.md "Streams"), and
 * what the SDK reads from each: its position on the bus and the key that tells a repeat after a
 * cut from a new frame.
 */
import type { EmittedEventTypeName, Position, StreamName } from '@blockcast/protocol/client';

export interface ValidTransactionFrame {
  height: number;
  /** Profile `bigchaindb`. */
  asset_id?: string;
  /** Profile `planetmint`. */
  asset_ids?: string[];
  transaction_id: string;
}

export interface ValidBlockFrame {
  height: number;
  hash: string | null;
  transaction_ids: string[];
}

/** 0.10: no height; `blockid` is the block hash (the height as a string when there is none). */
export interface LegacyValidTxFrame {
  txid: string;
  assetid: string;
  blockid: string;
}

export interface InvalidTransactionFrame {
  height: number;
  transaction_id: string;
  code: number;
  reason: string;
}

export interface BlockValidEventFrame {
  type: 'BLOCK_VALID';
  height: number;
  hash: string | null;
  transactions: { transaction_id: string; operation: string; asset_ids: string[]; public_keys: string[] }[];
}

export interface BlockInvalidEventFrame {
  type: 'BLOCK_INVALID';
  height: number;
  transactions: { transaction_id: string; code: number; reason: string }[];
}

export interface GenericEventFrame {
  type: EmittedEventTypeName;
  height: number;
  seq: number;
  content: unknown;
}

export type EventsFrame = BlockValidEventFrame | BlockInvalidEventFrame | GenericEventFrame;

export interface FrameOf {
  valid_transactions: ValidTransactionFrame;
  valid_blocks: ValidBlockFrame;
  valid_tx: LegacyValidTxFrame;
  invalid_transactions: InvalidTransactionFrame;
  events: EventsFrame;
}

export type AnyFrame = FrameOf[StreamName];

/** An `events` frame that is not a block's: every emitted type, including ones newer than this client. */
export function isGenericEventFrame(frame: AnyFrame): frame is GenericEventFrame {
  return 'type' in frame && frame.type !== 'BLOCK_VALID' && frame.type !== 'BLOCK_INVALID';
}

/** Where a frame sits: its block's height, and `seq` for a generic event; undefined on `valid_tx`. */
export function framePosition(frame: AnyFrame): Position | undefined {
  if (!('height' in frame)) return undefined;
  return { height: frame.height, seq: isGenericEventFrame(frame) ? frame.seq : 0 };
}

/**
 * What tells two frames of one block apart, for dropping the ones already delivered when a cut
 * connection is resumed from the block before (docs/protocol.md "The resume rule").
 */
export function frameKey(frame: AnyFrame): string {
  if ('txid' in frame) return frame.txid;
  if ('type' in frame) return isGenericEventFrame(frame) ? `${frame.height}-${frame.seq}` : frame.type;
  if ('transaction_ids' in frame) return String(frame.height);
  return frame.transaction_id;
}

type FieldOf<F> = F extends unknown ? keyof F : never;

/** Every top-level field a stream's frames can carry, in the server's order (CSV columns, templates). */
export const FRAME_FIELDS: { readonly [S in StreamName]: readonly FieldOf<FrameOf[S]>[] } = {
  valid_transactions: ['height', 'asset_id', 'asset_ids', 'transaction_id'],
  valid_blocks: ['height', 'hash', 'transaction_ids'],
  valid_tx: ['txid', 'assetid', 'blockid'],
  invalid_transactions: ['height', 'transaction_id', 'code', 'reason'],
  events: ['type', 'height', 'seq', 'hash', 'transactions', 'content'],
};
