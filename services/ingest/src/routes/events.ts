import { type EmitResult, type EventLog, isIdempotencyKey } from '@blockcast/event-log';
import { type EmittedEventTypeName, formatPosition, isEmittedEventType } from '@blockcast/protocol';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/request-auth.js';
import { ingestErrorHandler } from '../error-handler.js';
import {
  emitUnconfirmed,
  fromEmitRefusal,
  invalidEvent,
  invalidIdempotencyKey,
  isEmitRefusal,
} from '../errors.js';
import type { EventSchemas } from '../event-schemas.js';
import { jsonBodyParser } from '../json-body.js';
import { toPointer } from '../json-depth.js';
import type { IngestMetrics } from '../metrics.js';

export interface EventsRouteOptions {
  log: Pick<EventLog, 'emit'>;
  /** Block credentials and the event-only tokens. */
  auth: RequestAuth;
  schemas: EventSchemas;
  metrics: IngestMetrics;
  maxBodyBytes: number;
}

const emittedSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    height: { type: 'integer' },
    seq: { type: 'integer' },
    position: { type: 'string' },
    epoch: { type: 'string' },
  },
} as const;

interface EventsRequest {
  Params: { type: string };
}

/**
 * `POST /api/v1/events/<type>` (LEAP's `emit(event, *content)`): body `{"content": <json>}`.
 * The cheap checks run on the headers before any body is read: credentials, the type (it must be
 * an emitted type of the catalog), the Idempotency-Key. Then the raw body (signature, UTF-8, JSON,
 * depth), then the type's schema on `content`, then one emit; so a refusal writes nothing.
 * 201 emitted, 200 the original event of an Idempotency-Key already seen. A 503 cannot say
 * whether the event was written; resending with the same Idempotency-Key is safe.
 */
export function eventsRoute(options: EventsRouteOptions): FastifyPluginCallback {
  const { log, auth, schemas, metrics, maxBodyBytes } = options;
  return (scope, _opts, done) => {
    scope.setErrorHandler(
      ingestErrorHandler({
        maxBodyBytes,
        challenge: auth.challenge,
        onRefused: (code, request) => metrics.eventFailed(typeLabel(request), code),
      }),
    );
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: maxBodyBytes },
      jsonBodyParser(auth),
    );
    scope.addHook<EventsRequest>('onRequest', (request, _reply, next) => {
      try {
        auth.checkHeaders(request);
        schemas.emittedType(request.params.type);
        idempotencyKeyOf(request);
      } catch (error) {
        next(error as Error);
        return;
      }
      next();
    });

    scope.post<EventsRequest>(
      '/api/v1/events/:type',
      { bodyLimit: maxBodyBytes, schema: { response: { 200: emittedSchema, 201: emittedSchema } } },
      async (request, reply) => {
        auth.assertVerified(request);
        const type = schemas.emittedType(request.params.type);
        const content = contentOf(request.body);
        schemas.assertContent(type, content);
        const idempotencyKey = idempotencyKeyOf(request);
        let result: EmitResult;
        try {
          result = await log.emit({
            type,
            content,
            emittedAt: Date.now(),
            ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
          });
        } catch (error) {
          if (isEmitRefusal(error)) throw fromEmitRefusal(error);
          request.log.error({ err: error, type }, 'event log emit failed');
          throw emitUnconfirmed();
        }
        metrics.eventEmitted(type, result.status);
        reply.code(result.status === 'appended' ? 201 : 200);
        const { event } = result;
        return {
          type: event.type,
          height: event.height,
          seq: event.seq,
          position: formatPosition(event),
          epoch: result.epoch,
        };
      },
    );
    done();
  };
}

/** The body is `{"content": …}` and nothing else, so a misspelt field is not silently dropped. */
function contentOf(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw bodyViolation('', 'type', 'must be a JSON object {"content": <the event content>}');
  }
  const extra = Object.keys(body).find((key) => key !== 'content');
  if (extra !== undefined) {
    const field = toPointer([extra]);
    throw bodyViolation(
      field,
      'additionalProperties',
      'is not a field of an event body: send only {"content": …}',
    );
  }
  if (!Object.hasOwn(body, 'content')) {
    throw bodyViolation('/content', 'required', 'is required: send {"content": <the event content>}');
  }
  return (body as { content: unknown }).content;
}

function bodyViolation(field: string, rule: string, problem: string) {
  return invalidEvent(`body${field} ${problem} (rule "${rule}"); nothing was written`, field, rule);
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !isIdempotencyKey(key)) throw invalidIdempotencyKey();
  return key;
}

/** A metrics label from the URL: only catalog names, so the label set stays bounded. */
function typeLabel(request: FastifyRequest): EmittedEventTypeName | 'not_emitted' {
  const { type } = (request.params ?? {}) as { type?: string };
  return type !== undefined && isEmittedEventType(type) ? type : 'not_emitted';
}
