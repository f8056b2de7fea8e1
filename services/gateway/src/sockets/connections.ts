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
    ws.end(CLOSE_CODES[name].code, reason);
  }
}
