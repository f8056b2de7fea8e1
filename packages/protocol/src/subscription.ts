import type { BlockEvent, TransactionEvent } from './block-event.js';
import { EventType, matchesMask } from './event-types.js';
import {
  blockInvalidEventFrame,
  blockValidEventFrame,
  type FrameProfile,
  invalidTransactionFrame,
  legacyValidTxFrame,
  validBlockFrame,
  validTransactionFrame,
} from './frames.js';
import { EMITTED_EVENT_TYPES } from './generic-event-selection.js';
import type { StreamRequest } from './stream-request.js';
import { filterKey, matchesFilter, type TransactionFilter } from './transaction-filter.js';

/** What decides the frames a socket gets: its stream request without the resume position. */
export type Subscription = Pick<StreamRequest, 'stream' | 'profile' | 'typeMask' | 'filter'>;

/**
 * One key per distinct frame sequence: sockets with equal keys get byte-identical frames, so they
 * share one uWS topic and one serialisation per block. Only what changes the frames is in it.
 */
export function subscriptionKey(sub: Subscription): string {
  const filter = sub.filter === undefined ? '' : `?${filterKey(sub.filter)}`;
  switch (sub.stream) {
    case 'valid_transactions':
      return `valid_transactions/${sub.profile}${filter}`;
    case 'events':
      // A filter selects transactions, so it takes no generic events: those bits change nothing.
      return `events/${eventTypesOf(sub.filter === undefined ? sub.typeMask : sub.typeMask & ~EMITTED_EVENT_TYPES).join('+')}${filter}`;
    case 'invalid_transactions':
      return `invalid_transactions${filter}`;
    default:
      return sub.stream;
  }
}

/** The known flags a mask selects, in catalog order (a frame per selected type and block). */
function eventTypesOf(mask: number): number[] {
  return Object.values(EventType).filter((flag) => matchesMask(flag, mask));
}

/**
 * The transactions of a block a subscription's filter selects (all of them without a filter), as
 * positions in `block.transactions` and `block.rejected`, in block order.
 */
export interface Selection {
  valid: readonly number[];
  rejected: readonly number[];
}

export function selectTransactions(filter: TransactionFilter | undefined, block: BlockEvent): Selection {
  const positions = (txs: readonly TransactionEvent[]) => {
    const chosen: number[] = [];
    for (let i = 0; i < txs.length; i += 1)
      if (filter === undefined || matchesFilter(filter, txs[i]!)) chosen.push(i);
    return chosen;
  };
  return { valid: positions(block.transactions), rejected: positions(block.rejected) };
}

/**
 * Per-transaction frames of one block, built on first use and shared by every subscription that
 * selects the transaction: a filtered `valid_transactions` frame has the unfiltered shape, so
 * every key that matches a transaction sends the same string.
 */
export class TransactionFrames {
  readonly #block: BlockEvent;
  readonly #valid = new Map<FrameProfile, string[]>();

  constructor(block: BlockEvent) {
    this.#block = block;
  }

  valid(profile: FrameProfile, position: number): string {
    let frames = this.#valid.get(profile);
    if (frames === undefined) {
      frames = new Array<string>(this.#block.transactions.length);
      this.#valid.set(profile, frames);
    }
    let frame = frames[position];
    if (frame === undefined) {
      frame = validTransactionFrame(profile, this.#block.height, this.#block.transactions[position]!);
      frames[position] = frame;
    }
    return frame;
  }
}

/**
 * The frames a subscription gets for one block, in order: the one definition of what every stream
 * carries, used for live fan-out and for catch-up alike. `selection` is what the filter selected
 * (computed here unless the caller already has it from an index); `shared` lets the subscriptions
 * of one block reuse each other's per-transaction frames.
 */
export function framesFor(
  sub: Subscription,
  block: BlockEvent,
  selection: Selection = selectTransactions(sub.filter, block),
  shared: TransactionFrames = new TransactionFrames(block),
): string[] {
  switch (sub.stream) {
    case 'valid_transactions':
      return selection.valid.map((i) => shared.valid(sub.profile as FrameProfile, i));
    case 'valid_blocks':
      return [validBlockFrame(block)];
    case 'valid_tx':
      return selection.valid.map((i) => legacyValidTxFrame(block, block.transactions[i]!));
    case 'invalid_transactions':
      return selection.rejected.map((i) => invalidTransactionFrame(block.height, block.rejected[i]!));
    case 'events':
      return eventFrames(sub, block, selection);
  }
}

function eventFrames(sub: Subscription, block: BlockEvent, selection: Selection): string[] {
  const frames: string[] = [];
  const filtered = sub.filter !== undefined;
  if (matchesMask(EventType.BLOCK_VALID, sub.typeMask) && (!filtered || selection.valid.length > 0)) {
    const transactions = selection.valid.map((i) => block.transactions[i]!);
    frames.push(blockValidEventFrame({ ...block, transactions }));
  }
  if (matchesMask(EventType.BLOCK_INVALID, sub.typeMask) && selection.rejected.length > 0) {
    const rejected = selection.rejected.map((i) => block.rejected[i]!);
    frames.push(blockInvalidEventFrame({ ...block, rejected }));
  }
  return frames;
}
