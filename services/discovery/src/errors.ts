import { clientErrorHandler } from '@blockcast/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Every error discovery answers is `{ code, message }` with a stable, documented `code` (the
 * gateway's refusals have the same shape), never fastify's `{ statusCode, error, message }`.
 * Clients branch on `code`; `message` is for people and may change.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'INTERNAL';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** Client errors fastify (or node's parser) can raise here; any other 4xx is BAD_REQUEST. */
const CLIENT_ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

export const NOT_FOUND_MESSAGE =
  'no such document; the API root is GET /api/v1/ and the stream catalog GET /api/v1/streams';

/** Server errors say nothing about the cause: it is logged, not sent. */
const INTERNAL_MESSAGE = 'internal error; it has been logged';

export function errorBody(status: number, message: string): ErrorBody {
  if (status >= 500) return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
  return { code: CLIENT_ERROR_CODES[status] ?? 'BAD_REQUEST', message };
}

/** Options for the Fastify factory: errors raised before routing (bad URL, unparsable HTTP). */
export const errorFactoryOptions = {
  /** A URL fastify cannot decode. Answered before routing, so without the CORS hook: set here. */
  frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    reply.code(400).header('access-control-allow-origin', '*').send(errorBody(400, error.message));
  },
  /** Malformed HTTP never reaches a reply, nor the CORS hook. */
  clientErrorHandler: clientErrorHandler(errorBody, { 'Access-Control-Allow-Origin': '*' }),
};

/** 404s and thrown errors in the `{ code, message }` shape; the onSend CORS hook still applies. */
export function answerErrorsWithCodes(fastify: FastifyInstance): void {
  fastify.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(errorBody(404, NOT_FOUND_MESSAGE));
  });
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ err: error }, 'request refused');
    reply.code(status).send(errorBody(status, error.message));
  });
}
