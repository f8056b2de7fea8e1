import type { StreamRequest } from './stream-request.js';

/** Per-socket state, kept by uWS with the socket. */
export interface SocketData extends StreamRequest {
  /** ms epoch of the last text "ping" (or of the connection): the 0.10 idle rule. */
  lastPingAt: number;
}
