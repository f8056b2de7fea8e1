import type { LogState } from './log-state.js';

export type Verdict =
  | { kind: 'same' }
  | { kind: 'reset'; state: LogState }
  | { kind: 'rollback'; epoch: string };

/**
 * A tail's view of which history its cursor belongs to. It tells a reset (another epoch, or the
 * stream gone) from a rollback (same epoch, but the top below a height this epoch was seen to hold).
 */
export class EpochWatch {
  /** Null until the log has an epoch: a tail started on an empty log adopts the first one. */
  #epoch: string | null;
  #adoptable: boolean;
  /** The highest height this epoch was seen to hold (a top read or an entry yielded). */
  #seen = 0;
  /** Older epochs still found on entries below a rollback: the same history, kept. */
  readonly #ancestors = new Set<string>();

  constructor(epoch: string | undefined) {
    this.#epoch = epoch ?? null;
    this.#adoptable = epoch === undefined;
  }

  get epoch(): string | null {
    return this.#epoch;
  }

  judge(state: LogState): Verdict {
    if (this.#adoptable) {
      this.#epoch = state.epoch;
      this.#adoptable = state.epoch === null;
    } else if (state.epoch !== this.#epoch) {
      return { kind: 'reset', state };
    }
    if (this.#epoch !== null && state.top < this.#seen) return { kind: 'rollback', epoch: this.#epoch };
    this.#seen = Math.max(this.#seen, state.top);
    return { kind: 'same' };
  }

  /** An entry's epoch needs a fresh state to judge unless it is this epoch or a known ancestor. */
  knows(entryEpoch: string | undefined): boolean {
    return entryEpoch === undefined || entryEpoch === this.#epoch || this.#ancestors.has(entryEpoch);
  }

  /** The state showed this epoch still current: an entry of another epoch is from before a rollback. */
  acceptAncestor(entryEpoch: string): void {
    this.#ancestors.add(entryEpoch);
  }

  yielded(height: number): void {
    this.#seen = Math.max(this.#seen, height);
  }
}
