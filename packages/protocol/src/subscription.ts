import type { BlockEvent, RejectedTransactionEvent, TransactionEvent } from './block-event.js';
import { EventType, matchesMask } from './event-types.js';
import {
  blockInvalidEventFrame,
  blockValidEventFrame,
  invalidTransactionFrame,
  legacyValidTxFrame,
  type Profile,
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

/** The transactions of a block a subscription's filter selects (all of them without a filter). */
export interface Selection {
  valid: readonly TransactionEvent[];
  rejected: readonly RejectedTransactionEvent[];
}

export function selectTransactions(filter: TransactionFilter | undefined, block: BlockEvent): Selection {
  if (filter === undefined) return { valid: block.transactions, rejected: block.rejected };
  return {
    valid: block.transactions.filter((tx) => matchesFilter(filter, tx)),
    rejected: block.rejected.filter((tx) => matchesFilter(filter, tx)),
  };
}

/**
 * The frames a subscription gets for one block, in order: the one definition of what every stream
 * carries, used for live fan-out and for catch-up alike. `selection` is what the filter selected
 * (computed here unless the caller already has it from an index).
 */
export function framesFor(
  sub: Subscription,
  block: BlockEvent,
  selection: Selection = selectTransactions(sub.filter, block),
): string[] {
  const { height } = block;
  switch (sub.stream) {
    case 'valid_transactions':
      return selection.valid.map((tx) => validTransactionFrame(sub.profile as Profile, height, tx));
    case 'valid_blocks':
      return [validBlockFrame(block)];
    case 'valid_tx':
      return selection.valid.map((tx) => legacyValidTxFrame(block, tx));
    case 'invalid_transactions':
      return selection.rejected.map((tx) => invalidTransactionFrame(height, tx));
    case 'events':
      return eventFrames(sub, block, selection);
  }
}

function eventFrames(sub: Subscription, block: BlockEvent, selection: Selection): string[] {
  const frames: string[] = [];
  const filtered = sub.filter !== undefined;
  if (matchesMask(EventType.BLOCK_VALID, sub.typeMask) && (!filtered || selection.valid.length > 0)) {
    frames.push(blockValidEventFrame({ ...block, transactions: [...selection.valid] }));
  }
  if (matchesMask(EventType.BLOCK_INVALID, sub.typeMask) && selection.rejected.length > 0) {
    frames.push(blockInvalidEventFrame({ ...block, rejected: [...selection.rejected] }));
  }
  return frames;
}
