import type { WebSocket } from 'uWebSockets.js';
import { type Position, StreamName } from '@blockcast/protocol';
import type { CatchUp } from './catch-up.js';
import type { Connections } from './connections.js';
import type { SocketData } from './socket-data.js';

export interface SweepRules {
  /** 0.10 `valid_tx`: close a client that sent no text "ping" for this long (3 minutes). */
  legacyIdleMs: number;
  /** Silence after which a peer is pinged, and the time it then has to answer. */
  idleMs: number;
  /** Queued bytes above which a live socket moves to catch-up. */
  softLimitBytes: number;
  /** A socket whose queue has not gone down for this long is closed with 4008. */
  stallMs: number;
  /** Where the live sockets stand: the last entry published. */
  livePosition(): Position;
  /** When a live socket's topic last carried a frame. */
  lastPublishedAt(key: string): number;
  onSlowClient(): void;
}

/**
 * One timer walks every socket once a second for the rules that are about time rather than about
 * a frame. It runs between blocks, so what is queued for a socket is whole blocks and its position
 * is exact: a live socket over the soft limit moves to catch-up at the live height, a stalled one
 * is closed with 4008 and that position, an unresponsive one with 4009, one whose token expired
 * with 1008. A peer that is being sent frames is judged by whether they drain, not by pings, so
 * a reader that pauses keeps its connection until the stall limit.
 */
export class ConnectionSweeper {
  readonly #timer: NodeJS.Timeout;
  readonly #connections: Connections;
  readonly #catchUp: CatchUp;
  readonly #rules: SweepRules;

  constructor(connections: Connections, catchUp: CatchUp, rules: SweepRules) {
    this.#connections = connections;
    this.#catchUp = catchUp;
    this.#rules = rules;
    // Four times a second: a socket over the soft limit must reach catch-up long before uWS's own limit.
    const intervalMs = Math.max(50, Math.min(250, rules.legacyIdleMs / 4, rules.idleMs / 4));
    this.#timer = setInterval(() => this.sweep(), intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  sweep(now = Date.now()): void {
    // No copy of the set: closing a socket deletes only the entry being visited, which a Set allows.
    for (const ws of this.#connections) {
      const data = ws.getUserData();
      if (data.heldClose !== undefined) this.#sweepHeld(ws, data, now);
      else if (!data.closing) this.#sweepOne(ws, data, now);
    }
  }

  /** A socket whose close frame waits behind its queue: cut (1006) if the queue stops going down. */
  #sweepHeld(ws: WebSocket<SocketData>, data: SocketData, now: number): void {
    if (this.#connections.endDrained(ws)) return;
    const buffered = ws.getBufferedAmount();
    if (buffered < data.lastBuffered) data.progressAt = now;
    data.lastBuffered = buffered;
    if (now - data.progressAt > this.#rules.stallMs) ws.close();
  }

  #sweepOne(ws: WebSocket<SocketData>, data: SocketData, now: number): void {
    const rules = this.#rules;
    if (data.expiresAt !== undefined && now >= data.expiresAt) {
      this.#connections.end(ws, 'POLICY');
      return;
    }
    const buffered = ws.getBufferedAmount();
    if (buffered === 0 || buffered < data.lastBuffered) data.progressAt = now;
    data.lastBuffered = buffered;
    if (buffered > 0 && now - data.progressAt > rules.stallMs) {
      rules.onSlowClient();
      this.#connections.end(ws, 'TOO_SLOW');
      return;
    }
    if (data.mode === 'live' && buffered > rules.softLimitBytes) {
      this.#catchUp.enter(ws, rules.livePosition());
      return;
    }
    if (data.request.stream === StreamName.LEGACY_VALID_TX) {
      if (now - data.lastTextPingAt > rules.legacyIdleMs) this.#connections.end(ws, 'NORMAL');
      return;
    }
    // Frames flowing are keep-alive enough: a peer whose TCP stops taking them shows as a growing
    // queue and meets the stall rule; pings are for connections that are silent both ways.
    const lastSent = data.mode === 'live' ? rules.lastPublishedAt(data.key) : data.lastSentAt;
    if (buffered > 0 || now - Math.max(data.lastHeardAt, lastSent) <= rules.idleMs) return;
    if (data.pingedAt === undefined) {
      data.pingedAt = now;
      ws.ping();
    } else if (now - data.pingedAt > rules.idleMs) {
      this.#connections.end(ws, 'UNRESPONSIVE');
    }
  }
}
