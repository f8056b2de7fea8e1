import { AppendRefusedError, EmitRefusedError, IDEMPOTENCY_KEY_RULE } from '@blockcast/event-log';
import { CodedError, type ErrorDetails, formatPosition } from '@blockcast/protocol';

/**
 * Every error a caller of ingest can cause: a stable code, its HTTP status, and a message that
 * says what to do. The reply body is `{ code, message, ...details }` (details in snake_case).
 */
export const INGEST_ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_UTF8: 400,
  JSON_TOO_DEEP: 400,
  UNSAFE_NUMBER: 400,
  INVALID_BLOCK: 400,
  INVALID_EVENT: 400,
  NOT_AN_EMITTED_TYPE: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  UNAUTHORIZED: 401,
  SIGNATURE_STALE: 401,
  SIGNATURE_INVALID: 401,
  NOT_FOUND: 404,
  UNKNOWN_EVENT_TYPE: 404,
  HEIGHT_GAP: 409,
  HEIGHT_CONFLICT: 409,
  HEIGHT_BEYOND_RETENTION: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // As the IETF Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header) answers a reused key.
  IDEMPOTENCY_CONFLICT: 422,
  TOO_MANY_EVENTS_AT_HEIGHT: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  LOG_UNAVAILABLE: 503,
  NOT_REPLICATED: 503,
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERROR_STATUS;

export class IngestError extends CodedError<IngestErrorCode> {
  constructor(code: IngestErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, INGEST_ERROR_STATUS[code], message, details);
    this.name = 'IngestError';
  }
}

/** What Node's HTTP parser refused before any route ran (`message` from common's client errors). */
export function httpRefusal(status: number, message: string): IngestError {
  if (status === 431) return new IngestError('HEADERS_TOO_LARGE', message);
  if (status === 408) return new IngestError('REQUEST_TIMEOUT', `${message}: send the whole request sooner`);
  return new IngestError('BAD_REQUEST', `${message}: send one HTTP/1.1 request`);
}

export function invalidJson(reason: string): IngestError {
  return new IngestError(
    'INVALID_JSON',
    `the body is not valid JSON (${reason}): send one block as a JSON object`,
  );
}

export function invalidUtf8(): IngestError {
  return new IngestError(
    'INVALID_UTF8',
    'the body is not valid UTF-8: send the block as JSON encoded in UTF-8 (RFC 8259 §8.1); nothing was written',
  );
}

/** `field` is a JSON pointer to where the body nests too deep (its first few segments). */
export function jsonTooDeep(field: string, maxDepth: number): IngestError {
  return new IngestError(
    'JSON_TOO_DEEP',
    `body${field} nests deeper than ${maxDepth} levels, deeper than any node can have committed: send the block as the chain committed it`,
    { field, max_depth: maxDepth },
  );
}

/** `field` is a JSON pointer to a number JSON.parse would alter: infinite, or an integer beyond 2^53. */
export function unsafeNumber(field: string): IngestError {
  return new IngestError(
    'UNSAFE_NUMBER',
    `body${field} is a number that cannot be kept exactly (infinite, or an integer beyond ±9007199254740991, 2^53 − 1): ` +
      'send large integers as a string; nothing was written',
    { field },
  );
}

/** A schema violation; `field` is a JSON pointer into the block, `message` starts with `body/<field>`. */
export function invalidBlock(message: string, field: string): IngestError {
  return new IngestError('INVALID_BLOCK', message, { field });
}

export function unauthorized(): IngestError {
  return new IngestError(
    'UNAUTHORIZED',
    'no valid credentials: send "Authorization: Bearer <token>" with a configured ingest token, ' +
      'or sign the body with "X-Blockcast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>"',
  );
}

export function signatureStale(timestamp: number, skewSeconds: number, maxSkewSeconds: number): IngestError {
  return new IngestError(
    'SIGNATURE_STALE',
    `the signature timestamp t=${timestamp} is ${skewSeconds} s from the server clock (at most ${maxSkewSeconds} s ` +
      'allowed): sign with the current time and check the sender clock',
    { max_skew_seconds: maxSkewSeconds },
  );
}

export function signatureInvalid(problem: string): IngestError {
  return new IngestError(
    'SIGNATURE_INVALID',
    `X-Blockcast-Signature ${problem}: send t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")> ` +
      'with a configured secret',
  );
}

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function notFound(method: string, url: string): IngestError {
  if (OPS_PATHS.has(url.split('?')[0]!)) {
    return new IngestError(
      'NOT_FOUND',
      `no route ${method} ${url} on the blocks port: /healthz, /readyz and /metrics are on the ops port (INGEST_OPS_PORT, default 9987)`,
    );
  }
  return new IngestError(
    'NOT_FOUND',
    `no route ${method} ${url}: blocks go to POST /api/v1/blocks, generic events to POST /api/v1/events/<type>`,
  );
}

export function payloadTooLarge(limitBytes: number): IngestError {
  return new IngestError(
    'PAYLOAD_TOO_LARGE',
    `the body is larger than ${limitBytes} bytes (INGEST_MAX_BODY_BYTES): raise the limit or send smaller blocks`,
    { limit_bytes: limitBytes },
  );
}

export function unsupportedMediaType(contentType: string | undefined): IngestError {
  return new IngestError(
    'UNSUPPORTED_MEDIA_TYPE',
    `content type ${contentType === undefined ? '(none)' : `"${contentType}"`} is not accepted: send Content-Type: application/json`,
  );
}

/**
 * The append failed without an answer from the script: Redis was unreachable, or the reply was
 * lost after the script ran. So the block may or may not be on the bus, and the message must not
 * claim either; resending the same block settles it (201 appended, or 200 duplicate).
 */
export function logUnavailable(): IngestError {
  return new IngestError(
    'LOG_UNAVAILABLE',
    'the event log (Redis) did not confirm the append, so the block may or may not have been appended: ' +
      'resend the same block shortly; that is safe, because a block already appended answers 200 (duplicate)',
  );
}

/** The write is on the Redis master, but fewer replicas than REDIS_WAIT_REPLICAS confirmed it in time. */
export function notReplicated(required: number, acknowledged: number): IngestError {
  return new IngestError(
    'NOT_REPLICATED',
    `the write was made but only ${acknowledged} of the ${required} required Redis replicas confirmed it in time, ` +
      'so it may not survive a failover: resend the same request shortly (a block already appended answers 200; ' +
      'an event answers 200 when resent with the same Idempotency-Key)',
    { replicas_required: required, replicas_acknowledged: acknowledged },
  );
}

export function internalError(): IngestError {
  return new IngestError(
    'INTERNAL',
    'unexpected server error; nothing was written: retry, and report it if it persists',
  );
}

/** A refused append (gap, conflict, too old) as the 409 reply, naming the height to send next. */
export function fromAppendRefusal(refusal: AppendRefusedError): IngestError {
  const whatToDo =
    refusal.code === 'HEIGHT_GAP'
      ? `send block ${refusal.expectedHeight} first`
      : refusal.code === 'HEIGHT_CONFLICT'
        ? 'the chain and the log disagree: check which node is right before sending more'
        : `blocks below the retained history cannot be re-sent; continue at ${refusal.expectedHeight}`;
  return new IngestError(refusal.code, `${refusal.message}; ${whatToDo}`, {
    height: refusal.height,
    expected_height: refusal.expectedHeight,
  });
}

export function isAppendRefusal(error: unknown): error is AppendRefusedError {
  return error instanceof AppendRefusedError;
}

/** `known` are the emitted types of the catalog, the only ones that can be posted. */
export function unknownEventType(type: string, known: readonly string[]): IngestError {
  return new IngestError(
    'UNKNOWN_EVENT_TYPE',
    `no event type "${type}" in the catalog: the types that can be emitted are ${known.join(', ')}`,
    { known_types: known.join(',') },
  );
}

export function notAnEmittedType(type: string, known: readonly string[]): IngestError {
  return new IngestError(
    'NOT_AN_EMITTED_TYPE',
    `${type} events are derived from committed blocks and cannot be emitted: post the block to /api/v1/blocks, or emit one of ${known.join(', ')}`,
    { known_types: known.join(',') },
  );
}

/** `field` is a JSON pointer into the body (`/content/status`), `rule` the JSON Schema keyword broken. */
export function invalidEvent(message: string, field: string, rule: string): IngestError {
  return new IngestError('INVALID_EVENT', message, { field, rule });
}

export function invalidIdempotencyKey(): IngestError {
  return new IngestError(
    'INVALID_IDEMPOTENCY_KEY',
    `the Idempotency-Key header ${IDEMPOTENCY_KEY_RULE} (e.g. a UUID): nothing was written`,
  );
}

/** A refused emit: a reused idempotency key, a full height (retry after the next block), a too large event. */
export function fromEmitRefusal(error: EmitRefusedError): IngestError {
  const { refusal } = error;
  switch (refusal.code) {
    case 'IDEMPOTENCY_CONFLICT':
      return new IngestError('IDEMPOTENCY_CONFLICT', `${error.message}; nothing was written`, {
        original_position: formatPosition(refusal.original),
      });
    case 'TOO_MANY_EVENTS_AT_HEIGHT':
      return new IngestError('TOO_MANY_EVENTS_AT_HEIGHT', `${error.message}; nothing was written`, {
        height: refusal.height,
        limit: refusal.limit,
      });
    case 'EVENT_TOO_LARGE':
      return new IngestError('PAYLOAD_TOO_LARGE', `${error.message}; nothing was written`, {
        limit_bytes: refusal.limit,
      });
  }
}

export function isEmitRefusal(error: unknown): error is EmitRefusedError {
  return error instanceof EmitRefusedError;
}

/** As {@link logUnavailable}, for an emit: only an Idempotency-Key makes the resend safe. */
export function emitUnconfirmed(): IngestError {
  return new IngestError(
    'LOG_UNAVAILABLE',
    'the event log (Redis) did not confirm the emit, so the event may or may not have been emitted: ' +
      'resend it shortly with the same Idempotency-Key header, which answers 200 (duplicate) if it was',
  );
}
