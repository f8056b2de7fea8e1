import { comparePositions, type Position } from '@blockcast/protocol';
import type { LogState } from './log-state.js';
import { positionOfId } from './stream-entry.js';

export type Verdict =
  | { kind: 'same' }
  | { kind: 'reset'; state: LogState }
  | { kind: 'rollback'; epoch: string };

/**
 * A reader's view of which history its cursor belongs to. It tells a reset (another epoch, or the
 * stream gone) from a rollback: the same epoch, but the history below the reader changed — the
 * last entry fell below a position this epoch was seen to hold, or the entry the reader last took
 * is gone or holds another chain (Redis restored without the last events, then new ones written
 * at their positions), or the next entry does not follow it.
 */
export class EpochWatch {
  /** Null until the log has an epoch: a tail started on an empty log adopts the first one. */
  #epoch: string | null;
  #adoptable: boolean;
  /** The furthest position this epoch was seen to hold (a state read or an entry taken). */
  #seen: Position = { height: 0, seq: 0 };
  /** The entry the reader last took (or started after): its ID and chain ('' while unknown). */
  #last: { id: string; chain: string } | undefined;
  /** Older epochs still found on entries below a rollback: the same history, kept. */
  readonly #ancestors = new Set<string>();

  constructor(epoch: string | undefined) {
    this.#epoch = epoch ?? null;
    this.#adoptable = epoch === undefined;
  }

  get epoch(): string | null {
    return this.#epoch;
  }

  /** The ID of the entry the reader last took: what a state read is asked to check. */
  get lastTaken(): string | undefined {
    return this.#last?.id;
  }

  judge(state: LogState): Verdict {
    if (this.#adoptable) {
      this.#epoch = state.epoch;
      this.#adoptable = state.epoch === null;
    } else if (state.epoch !== this.#epoch) {
      return { kind: 'reset', state };
    }
    if (this.#epoch === null) return { kind: 'same' };
    const top = { height: state.top, seq: state.topSeq };
    if (comparePositions(top, this.#seen) < 0 || this.#cursorChanged(state)) {
      return { kind: 'rollback', epoch: this.#epoch };
    }
    this.#seen = top;
    return { kind: 'same' };
  }

  /** Starts after `id` (chain '' when not known yet: the next state read that names it tells). */
  startAfter(id: string, chain: string): void {
    this.#last = { id, chain };
  }

  /** False when `prev` (an entry's link to the one before it) is not the chain of the entry last taken. */
  follows(prev: string | undefined): boolean {
    const chain = this.#last?.chain;
    return prev === undefined || prev === '' || chain === undefined || chain === '' || prev === chain;
  }

  /** The reader took entry `id` (its chain, or undefined on entries written before chains). */
  took(id: string, chain: string | undefined): void {
    this.#last = { id, chain: chain ?? '' };
    this.yielded(positionOfId(id));
  }

  /** An entry's epoch needs a fresh state to judge unless it is this epoch or a known ancestor. */
  knows(entryEpoch: string | undefined): boolean {
    return entryEpoch === undefined || entryEpoch === this.#epoch || this.#ancestors.has(entryEpoch);
  }

  /** The state showed this epoch still current: an entry of another epoch is from before a rollback. */
  acceptAncestor(entryEpoch: string): void {
    this.#ancestors.add(entryEpoch);
  }

  /** A height (a block) or a position this epoch holds. */
  yielded(at: number | Position): void {
    const position = typeof at === 'number' ? { height: at, seq: 0 } : at;
    if (comparePositions(position, this.#seen) > 0) this.#seen = position;
  }

  /** The state's answer about the entry last taken: gone although not trimmed, or another chain. */
  #cursorChanged(state: LogState): boolean {
    const last = this.#last;
    const cursor = state.cursor;
    if (last === undefined || cursor === undefined || cursor.id !== last.id) return false;
    // Gone: a change only if it was seen to exist (a start position may not be written yet).
    if (cursor.chain === null) return last.chain !== '' && !cursor.trimmed;
    if (last.chain === '') {
      last.chain = cursor.chain;
      return false;
    }
    return cursor.chain !== '' && cursor.chain !== last.chain;
  }
}
