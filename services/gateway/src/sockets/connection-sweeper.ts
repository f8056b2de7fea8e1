import { type Position, StreamName } from '@blockcast/protocol';
import type { ClientConnection } from './client-connection.js';
import type { Connections } from './connections.js';

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
  readonly #rules: SweepRules;

  constructor(connections: Connections, rules: SweepRules) {
    this.#connections = connections;
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
    for (const connection of this.#connections) {
      if (connection.holdingClose) this.#sweepHeld(connection, now);
      else if (!connection.closing) this.#sweepOne(connection, now);
    }
  }

  /** A socket whose close frame waits behind its queue: cut (1006) if the queue stops going down. */
  #sweepHeld(connection: ClientConnection, now: number): void {
    if (connection.sendHeldClose()) return;
    connection.readQueue(now);
    if (now - connection.progressAt > this.#rules.stallMs) connection.cut();
  }

  #sweepOne(connection: ClientConnection, now: number): void {
    const rules = this.#rules;
    if (connection.expiresAt !== undefined && now >= connection.expiresAt) {
      connection.end('POLICY');
      return;
    }
    const buffered = connection.readQueue(now);
    if (buffered > 0 && now - connection.progressAt > rules.stallMs) {
      rules.onSlowClient();
      connection.end('TOO_SLOW');
      return;
    }
    if (connection.mode === 'live' && buffered > rules.softLimitBytes) {
      connection.catchUpFrom(rules.livePosition());
      return;
    }
    if (connection.request.stream === StreamName.LEGACY_VALID_TX) {
      if (now - connection.lastTextPingAt > rules.legacyIdleMs) connection.end('NORMAL');
      return;
    }
    // Frames flowing are keep-alive enough: a peer whose TCP stops taking them shows as a growing
    // queue and meets the stall rule; pings are for connections that are silent both ways.
    const lastSent =
      connection.mode === 'live' ? rules.lastPublishedAt(connection.key) : connection.lastSentAt;
    if (buffered > 0 || now - Math.max(connection.lastHeardAt, lastSent) <= rules.idleMs) return;
    const { pingedAt } = connection;
    if (pingedAt === undefined) connection.ping(now);
    else if (now - pingedAt > rules.idleMs) connection.end('UNRESPONSIVE');
  }
}
