/**
 * Node: the `ws` library, which sends headers (the token as `Authorization: Bearer`), shows a
 * refused upgrade's status, JSON body and `Retry-After`, reads the 101's `X-Blockcast-Epoch`, and
 * can pause the socket so that a slow application slows the TCP connection, not a queue in memory.
 */
import WebSocket from 'ws';
import type { Connection, Refusal, Transport, TransportEvents } from './transport.js';

/** A refusal body is a short JSON document; more than this is not read. */
const MAX_REFUSAL_BODY_BYTES = 64 * 1024;
/** How long a close the SDK started waits for the server's answer before the socket is cut. */
const CLOSE_GRACE_MS = 2000;

export class WsTransport implements Transport {
  readonly headers = true;

  open(url: string, headers: Record<string, string>, events: TransportEvents): Connection {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    let ended = false;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      events.close(code, reason);
    };
    socket.on('upgrade', (response) => {
      const epoch = response.headers['x-blockcast-epoch'];
      socket.once('open', () => events.open(typeof epoch === 'string' ? epoch : null));
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) events.message(String(data));
    });
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REFUSAL_BODY_BYTES) chunks.push(chunk);
      });
      response.on('end', () => {
        ended = true;
        events.refused(
          refusalOf(response.statusCode ?? 0, response.headers['retry-after'], Buffer.concat(chunks)),
        );
        socket.terminate();
      });
      response.on('error', () => end(1006, 'refusal body unreadable'));
    });
    socket.on('error', () => {
      // Followed by `close` (1006); the cause is not the application's to handle.
    });
    socket.on('close', (code, reason) => end(code, String(reason)));
    return {
      send: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      close: (code, reason) => {
        if (socket.readyState === WebSocket.OPEN) {
          socket.close(code, reason);
          // A peer that never answers the close frame must not hold the socket open.
          setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        } else socket.terminate();
        end(1006, reason);
      },
      pause: () => {
        socket.pause();
        return true;
      },
      resume: () => socket.resume(),
    };
  }
}

function refusalOf(status: number, retryAfter: string | string[] | undefined, body: Buffer): Refusal {
  let parsed: Record<string, unknown> = {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  return {
    status,
    body: parsed,
    retryAfterS: Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined,
  };
}
