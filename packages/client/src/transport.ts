/**
 * The one thing the SDK needs from a WebSocket library, so Node (`ws`: headers, the refusal's
 * status and body, pausing the socket) and browsers (the standard `WebSocket`: none of those)
 * run the same connection logic.
 */
export interface Refusal {
  status: number;
  /** The server's JSON error (`{code, message, ...}`), or `{}` when the body was not JSON. */
  body: Record<string, unknown>;
  /** Seconds, from `Retry-After`. */
  retryAfterS: number | undefined;
}

export interface TransportEvents {
  /** `epoch`: the 101 answer's `X-Blockcast-Epoch`, where the transport can read headers. */
  open(epoch: string | null): void;
  message(text: string): void;
  /** The upgrade was answered with an HTTP error instead of 101 (only transports that can see it). */
  refused(refusal: Refusal): void;
  /** The end of the connection, once, after `open` or instead of it; 1006 when cut without a close frame. */
  close(code: number, reason: string): void;
}

export interface Connection {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Stop reading from the socket (TCP backpressure reaches the gateway); false if the transport cannot. */
  pause(): boolean;
  resume(): void;
}

export interface Transport {
  /** Whether the browser's rules apply: no headers (the token goes in the query), no refusal bodies. */
  readonly headers: boolean;
  open(url: string, headers: Record<string, string>, events: TransportEvents): Connection;
}
