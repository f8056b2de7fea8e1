import { AppendRefusedError } from '@blockcast/event-log';

/**
 * Every error a caller of ingest can cause: a stable code, its HTTP status, and a message that
 * says what to do. The reply body is `{ code, message, ...details }` (details in snake_case).
 */
export const INGEST_ERROR_STATUS = {
  INVALID_JSON: 400,
  INVALID_UTF8: 400,
  JSON_TOO_DEEP: 400,
  INVALID_BLOCK: 400,
  UNAUTHORIZED: 401,
  SIGNATURE_STALE: 401,
  SIGNATURE_INVALID: 401,
  NOT_FOUND: 404,
  HEIGHT_GAP: 409,
  HEIGHT_CONFLICT: 409,
  HEIGHT_BEYOND_RETENTION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  LOG_UNAVAILABLE: 503,
  NOT_REPLICATED: 503,
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERROR_STATUS;

export type ErrorDetails = Record<string, string | number | null>;

export class IngestError extends Error {
  readonly status: number;

  constructor(
    readonly code: IngestErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'IngestError';
    this.status = INGEST_ERROR_STATUS[code];
  }

  toJSON(): { code: IngestErrorCode; message: string } & ErrorDetails {
    return { code: this.code, message: this.message, ...this.details };
  }
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
  return new IngestError('NOT_FOUND', `no route ${method} ${url}: blocks go to POST /api/v1/blocks`);
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

/** The block is on the Redis master, but fewer replicas than REDIS_WAIT_REPLICAS confirmed it in time. */
export function notReplicated(required: number, acknowledged: number): IngestError {
  return new IngestError(
    'NOT_REPLICATED',
    `the block was written but only ${acknowledged} of the ${required} required Redis replicas confirmed it in time, ` +
      'so it may not survive a failover: resend the same block shortly (a block already appended answers 200)',
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
