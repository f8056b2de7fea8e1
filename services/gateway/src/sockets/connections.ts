import type { Position } from '@blockcast/protocol';
import type { ClientConnection } from './client-connection.js';

export interface StreamHead {
  /** Height of the last block published to the live topics (0 before the first). */
  liveHeight(): number;
  /** Position of the last entry (block or generic event) published ({0, 0} before the first). */
  livePosition(): Position;
  epoch(): string | null;
}

/** The open connections, counted against the gateway's capacity; each one ends itself (`ClientConnection.end`). */
export class Connections {
  readonly #open = new Set<ClientConnection>();

  get size(): number {
    return this.#open.size;
  }

  [Symbol.iterator](): IterableIterator<ClientConnection> {
    return this.#open.values();
  }

  add(connection: ClientConnection): void {
    this.#open.add(connection);
  }

  /** True when the connection was still counted. */
  delete(connection: ClientConnection): boolean {
    return this.#open.delete(connection);
  }
}
