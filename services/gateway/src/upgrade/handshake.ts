import type { HttpRequest } from 'uWebSockets.js';
import { UpgradeError } from '@blockcast/protocol';

/** The request headers RFC 6455 §4.2.1 requires of an opening handshake. */
export interface HandshakeHeaders {
  upgrade: string;
  connection: string;
  version: string;
  key: string;
}

/** A 16-byte nonce in base64 is 22 characters and `==`. */
const NONCE = /^[A-Za-z0-9+/]{22}==$/;

/**
 * What RFC 6455 says to refuse: a handshake without `Upgrade: websocket` and `Connection: Upgrade`
 * or with a key that is not a base64 16-byte nonce (400), or with a version other than 13 (426,
 * answered with `Sec-WebSocket-Version: 13`). uWS upgrades all of them unless told otherwise.
 */
export function checkHandshake(headers: HandshakeHeaders): UpgradeError | undefined {
  if (!tokens(headers.upgrade).includes('websocket')) {
    return new UpgradeError('BAD_HANDSHAKE', 'an opening handshake needs "Upgrade: websocket"');
  }
  if (!tokens(headers.connection).includes('upgrade')) {
    return new UpgradeError('BAD_HANDSHAKE', 'an opening handshake needs "Connection: Upgrade"');
  }
  if (headers.version !== '13') {
    return new UpgradeError(
      'UPGRADE_REQUIRED',
      `WebSocket version ${JSON.stringify(headers.version.slice(0, 20))} is not supported: use 13 (RFC 6455)`,
    );
  }
  if (!NONCE.test(headers.key)) {
    return new UpgradeError('BAD_HANDSHAKE', 'Sec-WebSocket-Key must be a base64-encoded 16-byte nonce');
  }
  return undefined;
}

function tokens(header: string): string[] {
  return header
    .toLowerCase()
    .split(',')
    .map((token) => token.trim());
}

/**
 * The Node 20 uWS build keeps a request head that arrives in several reads in a 4 KiB buffer and
 * cuts the connection past it, but parses one that arrives in a single read up to ~128 KB; 20.57
 * collects 32 KiB either way (UWS_HEAD_LIMITS). Refusing larger heads here makes the limit one
 * number, whatever TCP did to the request and whichever build runs.
 */
export const MAX_HANDSHAKE_HEAD_BYTES = 4096;

/** A 431 when the request line and headers, as `Name: value` lines, are over the limit. */
export function checkHeadSize(req: HttpRequest): UpgradeError | undefined {
  const query = req.getQuery();
  // `GET <path>[?<query>] HTTP/1.1` CRLF, each header line CRLF, the blank line.
  let bytes = Buffer.byteLength(req.getUrl()) + (query ? Buffer.byteLength(query) + 1 : 0);
  bytes += req.getMethod().length + ' '.length + ' HTTP/1.1\r\n'.length + '\r\n'.length;
  req.forEach((name, value) => {
    bytes += name.length + ': '.length + Buffer.byteLength(value) + '\r\n'.length;
  });
  if (bytes <= MAX_HANDSHAKE_HEAD_BYTES) return undefined;
  return new UpgradeError(
    'HEADERS_TOO_LARGE',
    `the request line and headers are ${bytes} bytes; at most ${MAX_HANDSHAKE_HEAD_BYTES} bytes are accepted: send fewer or shorter headers`,
    { limit_bytes: MAX_HANDSHAKE_HEAD_BYTES },
  );
}
