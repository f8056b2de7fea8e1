import type { Subscription } from '@blockcast/protocol';
import { FilterIndex } from './filter-index.js';

interface Entry {
  subscription: Subscription;
  sockets: number;
  /** ms epoch of the last frame published to the key's topic. */
  lastPublishedAt: number;
}

/**
 * The subscriptions that live sockets hold (one uWS topic per key), counted so that a block is
 * serialised only for keys somebody is on, and filtered ones are found through the index.
 */
export class LiveSubscriptions {
  readonly #entries = new Map<string, Entry>();
  readonly #unfiltered = new Map<string, Subscription>();
  readonly #index = new FilterIndex();

  add(key: string, subscription: Subscription): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.sockets += 1;
      return;
    }
    this.#entries.set(key, { subscription, sockets: 1, lastPublishedAt: 0 });
    if (subscription.filter === undefined) this.#unfiltered.set(key, subscription);
    else this.#index.add(key, subscription.filter);
  }

  remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.sockets -= 1;
    if (entry.sockets > 0) return;
    this.#entries.delete(key);
    this.#unfiltered.delete(key);
    this.#index.remove(key);
  }

  get(key: string): Subscription | undefined {
    return this.#entries.get(key)?.subscription;
  }

  published(key: string, at: number): void {
    const entry = this.#entries.get(key);
    if (entry) entry.lastPublishedAt = at;
  }

  /** When the key's topic last carried a frame (0: never). */
  lastPublishedAt(key: string): number {
    return this.#entries.get(key)?.lastPublishedAt ?? 0;
  }

  /** Distinct keys in use. */
  get size(): number {
    return this.#entries.size;
  }

  unfiltered(): ReadonlyMap<string, Subscription> {
    return this.#unfiltered;
  }

  get index(): FilterIndex {
    return this.#index;
  }
}
