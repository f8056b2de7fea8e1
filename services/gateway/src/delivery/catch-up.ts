import type { WebSocket } from 'uWebSockets.js';
import {
  comparePositions,
  entryFramesFor,
  type LogEntry,
  type Position,
  selectsGenericEvents,
} from '@blockcast/protocol';
import type { SocketData } from '../sockets/socket-data.js';
import type { EntryHistory } from './entry-history.js';
import type { LiveSubscriptions } from './live-subscriptions.js';

type Socket = WebSocket<SocketData>;

export interface CatchUpOptions {
  history: EntryHistory;
  live: LiveSubscriptions;
  /** Position of the last entry published to the live topics ({0, 0} before the first). */
  livePosition(): Position;
  /** Catch-up queues whole blocks while a socket holds fewer bytes than this. */
  softLimitBytes: number;
  /** Wait before asking the log again after a failed read. */
  retryMs: number;
  onEnter(): void;
  onExit(): void;
  onServed(source: 'ring' | 'log'): void;
  /** An entry a socket needs next is no longer retained (`oldest` is the oldest block height that is). */
  onHistoryGone(ws: Socket, oldest: number | null): void;
}

/**
 * Sockets off the live path: a resuming client, or one whose queue passed the soft limit. Each is
 * fed whole entries (blocks and generic events) after its cursor — from the ring, else from the
 * log, each only when it is provably the next one (else the socket is closed with 4010) — while it
 * drains, and rejoins its live topic the moment its cursor reaches the live position. JS is single-threaded and an entry is published in one synchronous call, so between
 * two entries "cursor = live position" means the next live entry is exactly the next one it
 * needs: no gap, no duplicate.
 */
export class CatchUp {
  readonly #options: CatchUpOptions;
  readonly #sockets = new Set<Socket>();
  /** Sockets waiting for a log read or a retry: they are pumped when it is done. */
  readonly #waiting = new Set<Socket>();

  constructor(options: CatchUpOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sockets.size;
  }

  sockets(): ReadonlySet<Socket> {
    return this.#sockets;
  }

  /** Takes a socket off the live path (or a new one resuming) at `cursor`, an entry boundary. */
  enter(ws: Socket, cursor: Position): void {
    const data = ws.getUserData();
    if (data.mode === 'live') {
      // uWS holds published frames per subscriber until the end of the loop iteration, and this
      // build drops them when the socket leaves the topic first; a direct send (this ping) writes
      // them out before anything else, so the socket has every frame up to `cursor`.
      ws.ping();
      ws.unsubscribe(data.key);
      this.#options.live.remove(data.key);
    }
    data.mode = 'catch-up';
    data.cursor = cursor;
    this.#sockets.add(ws);
    this.#options.onEnter();
    this.pump(ws);
  }

  /** A socket gone: nothing more is sent to it. */
  forget(ws: Socket): void {
    this.#sockets.delete(ws);
    this.#waiting.delete(ws);
  }

  /** After each live entry: sockets that resumed ahead of this gateway may now join. */
  onLiveEntry(): void {
    const live = this.#options.livePosition();
    for (const ws of this.#sockets) {
      if (comparePositions(ws.getUserData().cursor, live) <= 0 && !this.#waiting.has(ws)) this.pump(ws);
    }
  }

  /** Queues whole entries until the socket is full, caught up, or waiting on the log. */
  pump(ws: Socket): void {
    const data = ws.getUserData();
    const { history, softLimitBytes } = this.#options;
    while (data.mode === 'catch-up' && !data.closing && !this.#waiting.has(ws)) {
      // Full: `drain` calls again once the client has read some of it.
      if (ws.getBufferedAmount() >= softLimitBytes) return;
      const behind = comparePositions(data.cursor, this.#options.livePosition());
      if (behind === 0) {
        this.#joinLive(ws);
        return;
      }
      // Resumed from a position this gateway has not published yet: live entries bring it there.
      if (behind > 0) return;
      const build = (entry: LogEntry) => entryFramesFor(data.subscription, entry);
      const withEvents = selectsGenericEvents(data.subscription);
      const atHand = history.entryAfter(data.cursor, data.key, build, withEvents);
      if (atHand === undefined) {
        this.#load(ws, data.cursor, withEvents);
        return;
      }
      ws.cork(() => {
        for (const frame of atHand.frames) ws.send(frame, false, false);
      });
      data.cursor = atHand.position;
      if (atHand.frames.length > 0) data.lastSentAt = Date.now();
      this.#options.onServed(atHand.source);
    }
  }

  #joinLive(ws: Socket): void {
    const data = ws.getUserData();
    this.#sockets.delete(ws);
    data.mode = 'live';
    ws.subscribe(data.key);
    this.#options.live.add(data.key, data.subscription);
    this.#options.onExit();
  }

  #load(ws: Socket, cursor: Position, withEvents: boolean): void {
    this.#waiting.add(ws);
    const resume = () => {
      if (!this.#waiting.delete(ws)) return;
      this.pump(ws);
    };
    this.#options.history.load(cursor, withEvents).then(
      (loaded) => {
        if ('gone' in loaded) {
          if (!this.#waiting.has(ws)) return;
          this.forget(ws);
          return this.#options.onHistoryGone(ws, loaded.oldest);
        }
        if (loaded.entries.length === 0) return void setTimeout(resume, this.#options.retryMs).unref();
        resume();
      },
      () => void setTimeout(resume, this.#options.retryMs).unref(),
    );
  }
}
