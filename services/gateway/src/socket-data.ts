import type { Position, StreamRequest, Subscription } from '@blockcast/protocol';

/**
 * Per-socket state, kept by uWS with the socket.
 * - `live`: subscribed to its topic; it has been sent every entry up to the follower's position.
 * - `catch-up`: off the topics, fed entry by entry from the ring or the log as it drains; it has
 *   been sent every entry up to `cursor`.
 */
export interface SocketData {
  request: StreamRequest;
  /** The client's address (behind trusted proxies): its slot in the per-address limit. */
  address: string;
  /** ms epoch at which the token it was opened with expires (closed with 1008); undefined: no token. */
  expiresAt: number | undefined;
  subscription: Subscription;
  /** The subscription's key: its uWS topic. */
  key: string;
  mode: 'live' | 'catch-up';
  /** Ended by the gateway: nothing more is sent; the close handler still sees the mode it had. */
  closing: boolean;
  /** A close frame held back until the frames queued ahead of it are out (Connections.end). */
  heldClose: { code: number; reason: string } | undefined;
  /** Catch-up: the last position (block or generic event) whose frames were all queued. */
  cursor: Position;
  /** ms epoch of the last message or pong from the peer (or of the connection). */
  lastHeardAt: number;
  /** ms epoch of the last frame sent directly (catch-up); live sockets use their key's last publish. */
  lastSentAt: number;
  /** ms epoch of the ping sent for the current silence, if one was. */
  pingedAt: number | undefined;
  /** 0.10 `valid_tx`: ms epoch of the last text "ping" (or of the connection). */
  lastTextPingAt: number;
  /** Queued bytes at the last sweep, and when they last went down: a socket that never drains is stalled. */
  lastBuffered: number;
  progressAt: number;
}
