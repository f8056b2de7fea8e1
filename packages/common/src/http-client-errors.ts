import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_REQUEST_HEADER_BYTES, MAX_REQUEST_HEADER_FIELDS } from './http-limits.js';

const HEADERS_TOO_LARGE_MESSAGE = `the request headers are over ${MAX_REQUEST_HEADER_BYTES} bytes or ${MAX_REQUEST_HEADER_FIELDS} fields: send fewer or shorter headers`;

/**
 * A request with more header fields than {@link MAX_REQUEST_HEADER_FIELDS}: Node would have kept
 * the first 1 000 and dropped the rest without a word. Each service answers it 431 in its own shape.
 */
export class TooManyHeaderFieldsError extends Error {
  readonly statusCode = 431;
  readonly code = 'HEADERS_TOO_LARGE';

  constructor() {
    super(HEADERS_TOO_LARGE_MESSAGE);
    this.name = 'TooManyHeaderFieldsError';
  }
}

/** Node's HTTP parser errors that are not a plain 400, by error code. */
const SOCKET_ERRORS: Readonly<Record<string, [status: number, message: string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, HEADERS_TOO_LARGE_MESSAGE],
};

/**
 * A Fastify `clientErrorHandler`: a request Node's parser gave up on never reaches a reply, so the
 * JSON error `bodyFor` builds is written to the socket as Fastify's own answer is, then it is closed.
 */
export function clientErrorHandler(
  bodyFor: (status: number, message: string) => object,
  headers: Readonly<Record<string, string>> = {},
) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] = SOCKET_ERRORS[error.code ?? ''] ?? [400, 'malformed HTTP request'];
    const body = JSON.stringify(bodyFor(status, message));
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
          `Content-Type: application/json; charset=utf-8\r\n${extra}` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
