import type { WebSocket } from 'uWebSockets.js';
import { CloseCode, StreamName } from '@blockcast/protocol';
import type { SocketData } from './socket-data.js';

export interface SweepRules {
  /** 0.10 `valid_tx`: close a client that sent no text "ping" for this long (3 minutes). */
  legacyIdleMs: number;
  /** Bytes queued for a socket above which it is closed with 4008 instead of growing further. */
  slowClientBytes: number;
  /** The last height published, for the close reason (the client resumes after it). */
  lastHeight(): number | undefined;
  onSlowClient(ws: WebSocket<SocketData>): void;
}

/**
 * One timer walks every socket once per interval for the rules that are about time rather than
 * about a frame: the 0.10 idle close and the slow-client close. A sweep runs between blocks,
 * so everything queued for a socket is whole blocks up to `lastHeight()`, and the close frame
 * goes out after them: the client knows exactly where it stopped.
 */
export class ConnectionSweeper {
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly sockets: ReadonlySet<WebSocket<SocketData>>,
    private readonly rules: SweepRules,
  ) {
    const intervalMs = Math.max(100, Math.min(1000, rules.legacyIdleMs / 4));
    this.#timer = setInterval(() => this.sweep(), intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  sweep(): void {
    const idleCutoff = Date.now() - this.rules.legacyIdleMs;
    const height = this.rules.lastHeight();
    // No copy of the set: closing a socket deletes only the entry being visited, which a Set allows.
    for (const ws of this.sockets) {
      const data = ws.getUserData();
      if (ws.getBufferedAmount() > this.rules.slowClientBytes) {
        this.rules.onSlowClient(ws);
        ws.end(CloseCode.TOO_SLOW, `too slow; last height sent ${height ?? 'none'}`);
      } else if (data.stream === StreamName.LEGACY_VALID_TX && data.lastPingAt < idleCutoff) {
        ws.end(CloseCode.NORMAL, 'no "ping" received for too long');
      }
    }
  }
}
