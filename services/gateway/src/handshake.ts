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
