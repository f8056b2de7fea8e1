import {
  comparePositions,
  entryFramesFor,
  type LogEntry,
  type Position,
  selectsGenericEvents,
} from '@blockcast/protocol';
import type { ClientConnection } from '../sockets/client-connection.js';
import type { History } from './history.js';

export interface CatchUpOptions {
  history: History;
  /** Position of the last entry published to the live topics ({0, 0} before the first). */
  livePosition(): Position;
  /** Catch-up queues whole blocks while a socket holds fewer bytes than this. */
  softLimitBytes: number;
  /** Wait before asking the log again after a failed read. */
  retryMs: number;
  onEnter(): void;
  onExit(): void;
  onServed(source: 'ring' | 'log'): void;
}

/**
 * Connections off the live path: a resuming client, or one whose queue passed the soft limit. Each is
 * fed whole entries (blocks and generic events) after its cursor — from the ring, else from the
 * log, each only when it is provably the next one (else it is closed with 4010) — while it
 * drains, and goes live the moment its cursor reaches the live position. JS is single-threaded and
 * an entry is published in one synchronous call, so between two entries "cursor = live position"
 * means the next live entry is exactly the next one it needs: no gap, no duplicate.
 */
export class CatchUp {
  readonly #options: CatchUpOptions;
  readonly #connections = new Set<ClientConnection>();
  /** Connections waiting for a log read or a retry: they are pumped when it is done. */
  readonly #waiting = new Set<ClientConnection>();

  constructor(options: CatchUpOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Called by `ClientConnection.catchUpFrom` once its cursor is set. */
  entered(connection: ClientConnection): void {
    this.#connections.add(connection);
    this.#options.onEnter();
    this.pump(connection);
  }

  /** Called by `ClientConnection.goLive` when it leaves catch-up for its topic. */
  left(connection: ClientConnection): void {
    this.#connections.delete(connection);
    this.#options.onExit();
  }

  /** A connection gone: nothing more is sent to it. */
  forget(connection: ClientConnection): void {
    this.#connections.delete(connection);
    this.#waiting.delete(connection);
  }

  /** After each live entry: connections that resumed ahead of this gateway may now go live. */
  onLiveEntry(): void {
    const live = this.#options.livePosition();
    for (const connection of this.#connections) {
      if (comparePositions(connection.cursor, live) <= 0 && !this.#waiting.has(connection))
        this.pump(connection);
    }
  }

  /** Queues whole entries until the socket is full, caught up, or waiting on the log. */
  pump(connection: ClientConnection): void {
    const { history, softLimitBytes } = this.#options;
    while (connection.mode === 'catch-up' && !connection.closing && !this.#waiting.has(connection)) {
      // Full: `drain` calls again once the client has read some of it.
      if (connection.bufferedAmount >= softLimitBytes) return;
      const behind = comparePositions(connection.cursor, this.#options.livePosition());
      if (behind === 0) {
        connection.goLive();
        return;
      }
      // Resumed from a position this gateway has not published yet: live entries bring it there.
      if (behind > 0) return;
      const build = (entry: LogEntry) => entryFramesFor(connection.subscription, entry);
      const withEvents = selectsGenericEvents(connection.subscription);
      const atHand = history.entryAfter(connection.cursor, connection.key, build, withEvents);
      if (atHand === undefined) {
        this.#load(connection, connection.cursor, withEvents);
        return;
      }
      connection.sendEntry(atHand.position, atHand.frames);
      this.#options.onServed(atHand.source);
    }
  }

  #load(connection: ClientConnection, cursor: Position, withEvents: boolean): void {
    this.#waiting.add(connection);
    const resume = () => {
      if (!this.#waiting.delete(connection)) return;
      this.pump(connection);
    };
    this.#options.history.load(cursor, withEvents).then(
      (loaded) => {
        if ('gone' in loaded) {
          if (!this.#waiting.has(connection)) return;
          this.forget(connection);
          return connection.end('HISTORY_GONE', { oldest: loaded.oldest });
        }
        if (loaded.entries.length === 0) return void setTimeout(resume, this.#options.retryMs).unref();
        resume();
      },
      () => void setTimeout(resume, this.#options.retryMs).unref(),
    );
  }
}
