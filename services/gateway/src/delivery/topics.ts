import type { WebSocket } from 'uWebSockets.js';
import type { Subscription } from '@blockcast/protocol';
import { FilterIndex } from './filter-index.js';

interface Entry {
  subscription: Subscription;
  sockets: number;
  /** ms epoch of the last frame published to the key's topic. */
  lastPublishedAt: number;
}

/**
 * All uWS topic membership: the subscriptions that live sockets hold (one topic per key), counted
 * so that a block is serialised only for keys somebody is on, and filtered ones are found through
 * the index. Nothing else calls `subscribe`/`unsubscribe`.
 */
export class Topics {
  readonly #entries = new Map<string, Entry>();
  readonly #unfiltered = new Map<string, Subscription>();
  readonly #index = new FilterIndex();

  /** The socket goes on its key's topic: from now on every frame published there reaches it. */
  join(ws: WebSocket<unknown>, key: string, subscription: Subscription): void {
    ws.subscribe(key);
    this.#add(key, subscription);
  }

  /** The socket leaves its key's topic while it stays open, holding every frame published to it so far. */
  leave(ws: WebSocket<unknown>, key: string): void {
    // uWS holds published frames per subscriber until the end of the loop iteration, and this
    // build drops them when the socket leaves the topic first; a direct send (this ping) writes
    // them out before anything else.
    ws.ping();
    ws.unsubscribe(key);
    this.#remove(key);
  }

  /** A live socket closed: uWS took it off the topic. */
  closed(key: string): void {
    this.#remove(key);
  }

  #add(key: string, subscription: Subscription): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.sockets += 1;
      return;
    }
    this.#entries.set(key, { subscription, sockets: 1, lastPublishedAt: 0 });
    if (subscription.filter === undefined) this.#unfiltered.set(key, subscription);
    else this.#index.add(key, subscription.filter);
  }

  #remove(key: string): void {
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
