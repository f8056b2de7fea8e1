import type { WebSocket } from 'uWebSockets.js';
import { CloseCode } from '@blockcast/protocol';
import type { SocketData } from './socket-data.js';

/**
 * The 0.10 `valid_tx` contract: a client that has not sent text "ping" for three minutes is
 * closed. One timer sweeps all legacy sockets, instead of a timer per socket.
 */
export class LegacyIdleSweeper {
  private readonly sockets = new Set<WebSocket<SocketData>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {}

  add(ws: WebSocket<SocketData>): void {
    this.sockets.add(ws);
    this.timer ??= setInterval(() => this.sweep(), Math.min(10_000, Math.max(250, this.idleMs / 4))).unref();
  }

  delete(ws: WebSocket<SocketData>): void {
    this.sockets.delete(ws);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const ws of this.sockets) {
      if (ws.getUserData().lastPingAt < cutoff) ws.end(CloseCode.NORMAL, 'no "ping" received for too long');
    }
  }
}
