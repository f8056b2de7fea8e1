/**
 * The standard `WebSocket` (browsers, Deno, Node ≥ 22): no request headers, no view of a refused
 * upgrade (it is an `error` then a 1006 close), no pausing.
 */
import type { Connection, Transport, TransportEvents } from './transport.js';

type WebSocketClass = new (url: string) => WebSocket;

export class WebSocketTransport implements Transport {
  readonly headers = false;

  constructor(readonly WebSocketImpl: WebSocketClass = globalThis.WebSocket) {
    if (WebSocketImpl === undefined)
      throw new Error('no global WebSocket here: on Node use @blockcast/client/node');
  }

  open(url: string, _headers: Record<string, string>, events: TransportEvents): Connection {
    const socket = new this.WebSocketImpl(url);
    let ended = false;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      events.close(code, reason);
    };
    socket.onopen = () => events.open(null);
    socket.onmessage = (message) => {
      if (typeof message.data === 'string') events.message(message.data);
    };
    socket.onclose = (close) => end(close.code, close.reason);
    return {
      send: (text) => {
        if (socket.readyState === socket.OPEN) socket.send(text);
      },
      close: (code, reason) => {
        socket.close(code, reason);
        // A socket still connecting or cut may never fire `close`: end it here.
        end(1006, reason);
      },
      pause: () => false,
      resume: () => {},
    };
  }
}
