import type { WebSocket } from 'uWebSockets.js';
import {
  CLOSE_CODES,
  type CloseCodeName,
  closeReason,
  formatPosition,
  type Position,
  reportedPosition,
} from '@blockcast/protocol';
import type { SocketData } from './socket-data.js';

type Socket = WebSocket<SocketData>;

export interface StreamHead {
  /** Height of the last block published to the live topics (0 before the first). */
  liveHeight(): number;
  /** Position of the last entry (block or generic event) published ({0, 0} before the first). */
  livePosition(): Position;
  epoch(): string | null;
}

/**
 * The open sockets, and the one way the gateway closes one: with a close code from the protocol
 * table and the socket's exact resume position (every entry up to `since` was queued before
 * the close frame), so every close it sends can be resumed from without a gap or a duplicate.
 */
export class Connections {
  readonly #sockets = new Set<Socket>();
  readonly #head: StreamHead;

  constructor(head: StreamHead) {
    this.#head = head;
  }

  get size(): number {
    return this.#sockets.size;
  }

  [Symbol.iterator](): IterableIterator<Socket> {
    return this.#sockets.values();
  }

  add(ws: Socket): void {
    this.#sockets.add(ws);
  }

  /** True when the socket was still counted. */
  delete(ws: Socket): boolean {
    return this.#sockets.delete(ws);
  }

  /** The position after which this socket resumes: a height unless generic events reach it. */
  positionOf(ws: Socket): Position {
    const data = ws.getUserData();
    return reportedPosition(
      data.subscription,
      data.mode === 'catch-up' ? data.cursor : this.#head.livePosition(),
    );
  }

  end(ws: Socket, name: CloseCodeName, extra: Record<string, string | number | null> = {}): void {
    const data = ws.getUserData();
    if (data.closing) return;
    const reason = closeReason(name, {
      since: formatPosition(this.positionOf(ws)),
      epoch: this.#head.epoch(),
      ...extra,
    });
    data.closing = true;
    data.heldClose = { code: CLOSE_CODES[name].code, reason };
    if (this.endDrained(ws)) return;
    // uWS cuts an ended socket at its next 4-second tick, close frame sent or not, and a paused
    // reader may have megabytes queued ahead of it: the frame waits here until they are out, with
    // nothing more queued after the position (off the topics; catch-up stops at `closing`).
    for (const topic of ws.getTopics()) ws.unsubscribe(topic);
    data.progressAt = Date.now();
    data.lastBuffered = ws.getBufferedAmount();
  }

  /** Sends a held-back close frame once nothing is queued ahead of it; true when it did. */
  endDrained(ws: Socket): boolean {
    const data = ws.getUserData();
    if (data.heldClose === undefined || ws.getBufferedAmount() > 0) return false;
    const { code, reason } = data.heldClose;
    data.heldClose = undefined;
    ws.end(code, reason);
    return true;
  }
}
