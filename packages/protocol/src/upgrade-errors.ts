import { CodedError, type ErrorDetails } from './coded-error.js';

/**
 * Every refusal a client can get when it opens a stream: a stable code, the HTTP status of the
 * refused upgrade and what to do about it. The body is `{code, message, ...details}`.
 */
export const UPGRADE_ERRORS = {
  NOT_FOUND: {
    status: 404,
    when: 'the path is not a stream path',
    todo: 'connect to /api/v1/streams/<name>',
  },
  UNKNOWN_STREAM: {
    status: 404,
    when: 'the path names no stream',
    todo: 'see GET /api/v1/streams for the catalog',
  },
  UPGRADE_REQUIRED: {
    status: 426,
    when: 'a plain HTTP request, or a WebSocket version other than 13',
    todo: 'open a WebSocket (RFC 6455, version 13)',
  },
  BAD_HANDSHAKE: {
    status: 400,
    when: 'an upgrade without `Upgrade: websocket` or a valid `Sec-WebSocket-Key`',
    todo: 'use a WebSocket client',
  },
  TOKEN_REQUIRED: {
    status: 401,
    when: 'the stream is private and the upgrade carries no token',
    todo: 'send `Authorization: Bearer <JWT>` (or `?access_token=<JWT>` from a browser)',
  },
  TOKEN_INVALID: {
    status: 401,
    when: 'the token is malformed, expired, not signed with a trusted key, or its issuer or audience is not accepted',
    todo: 'get a new token',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    when: 'the `Origin` is not in the gateway’s allow-list (or is missing where one is required)',
    todo: 'connect from an allowed origin',
  },
  TOO_MANY_CONNECTIONS: {
    status: 429,
    when: 'your address has GATEWAY_MAX_CONNECTIONS_PER_IP connections open on this gateway',
    todo: 'close one, or retry with backoff',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    when: 'the request line and headers of the handshake are over 4 096 bytes (`limit_bytes`)',
    todo: 'send fewer or shorter headers (cookies count: serve streams from a host without them)',
  },
  INVALID_PARAMETER: {
    status: 400,
    when: 'a query parameter has a bad value (`parameter` names it)',
    todo: 'fix the value',
  },
  PARAMETER_NOT_APPLICABLE: {
    status: 400,
    when: 'a known parameter this stream does not take (`parameter` names it), e.g. a filter on valid_blocks',
    todo: 'leave it out, or use a stream that takes it',
  },
  SINCE_AHEAD: {
    status: 400,
    when: '`since` is beyond the newest block on the bus (`head` says which that is)',
    todo: 'resume from a height you received',
  },
  EPOCH_REQUIRED: {
    status: 400,
    when: '`since` without `epoch`: a height alone could name a block of another history',
    todo: 'send the epoch your heights belong to: the catalog (GET /api/v1/streams, field `epoch`), the `X-Blockcast-Epoch` header of a 101 answer, or a close reason',
  },
  EPOCH_MISMATCH: {
    status: 409,
    when: '`epoch` is not the stream’s epoch: the stream was recreated or rolled back (`epoch` and `head` are the current ones)',
    todo: 'your heights belong to another history: resynchronise, then connect with the new epoch',
  },
  HISTORY_GONE: {
    status: 410,
    when: 'the log no longer holds everything after `since` (`oldest` is the oldest block still available)',
    todo: 'resynchronise from another source, then resume from oldest - 1 or later (on events with generic event types: oldest or later)',
  },
  DESCRIPTORS_EXHAUSTED: {
    status: 503,
    when: 'the gateway is nearly out of file descriptors and has stopped accepting connections',
    todo: 'retry with backoff (another gateway may take you)',
  },
  DRAINING: { status: 503, when: 'the gateway is shutting down', todo: 'connect again (to another gateway)' },
  HANDSHAKE_TIMEOUT: {
    status: 503,
    when: 'checking the upgrade (token, resume position) took longer than GATEWAY_HANDSHAKE_TIMEOUT_MS',
    todo: 'retry with backoff',
  },
  LOG_UNAVAILABLE: {
    status: 503,
    when: 'resuming needed the event log (Redis) and it did not answer',
    todo: 'retry with backoff',
  },
} as const satisfies Record<string, { status: number; when: string; todo: string }>;

export type UpgradeErrorCode = keyof typeof UPGRADE_ERRORS;

export type UpgradeErrorDetails = ErrorDetails;

export class UpgradeError extends CodedError<UpgradeErrorCode> {
  constructor(code: UpgradeErrorCode, message: string, details: UpgradeErrorDetails = {}) {
    super(code, UPGRADE_ERRORS[code].status, message, details);
    this.name = 'UpgradeError';
  }
}
