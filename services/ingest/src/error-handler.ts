import { TooManyHeaderFieldsError } from '@blockcast/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  httpRefusal,
  IngestError,
  type IngestErrorCode,
  internalError,
  invalidBlock,
  invalidJson,
  payloadTooLarge,
  unsupportedMediaType,
} from './errors.js';

export interface ErrorHandlerOptions {
  maxBodyBytes: number;
  /** `WWW-Authenticate` sent with every 401. */
  challenge: string;
  /** Called once per refused request (metrics). */
  onRefused?: (code: IngestErrorCode, request: FastifyRequest) => void;
}

/** Every error, ours or fastify's, leaves as `{ code, message, ...details }` with its status. */
export function ingestErrorHandler(options: ErrorHandlerOptions) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const refusal = toIngestError(error, request, options.maxBodyBytes);
    if (refusal.status >= 500) request.log.error({ err: error, code: refusal.code }, 'request failed');
    else request.log.info({ code: refusal.code, reason: refusal.message }, 'request refused');
    options.onRefused?.(refusal.code, request);
    if (refusal.status === 401 && options.challenge !== '')
      reply.header('www-authenticate', options.challenge);
    // 429: a height takes more events once the next block is in, which is seconds away at most.
    if (refusal.status === 503 || refusal.status === 429) reply.header('retry-after', '1');
    reply.code(refusal.status).send(refusal.toJSON());
  };
}

function toIngestError(error: FastifyError, request: FastifyRequest, maxBodyBytes: number): IngestError {
  if (error instanceof IngestError) return error;
  if (error instanceof TooManyHeaderFieldsError) return httpRefusal(error.statusCode, error.message);
  if (error.validation !== undefined && error.validation.length > 0) {
    const first = error.validation[0]!;
    const { missingProperty, additionalProperty } = first.params as Record<string, string | undefined>;
    if (additionalProperty !== undefined) {
      // ajv's own message does not name the field.
      return invalidBlock(
        `body${first.instancePath}/${additionalProperty} is not a field of a block: send only height, hash, chain_id, transactions and rejected`,
        `${first.instancePath}/${additionalProperty}`,
      );
    }
    const field =
      missingProperty === undefined ? first.instancePath : `${first.instancePath}/${missingProperty}`;
    return invalidBlock(error.message, field);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(maxBodyBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request.headers['content-type']);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return invalidJson(error.message);
  }
  return internalError();
}
