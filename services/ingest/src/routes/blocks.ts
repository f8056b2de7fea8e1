import { type AppendResult, NotReplicatedError } from '@blockcast/event-log';
import { type CommittedBlock, normaliseBlock } from '@blockcast/protocol';
import type { FastifyPluginCallback } from 'fastify';
import type { AppendQueue } from '../append-queue.js';
import type { RequestAuth } from '../auth/request-auth.js';
import { assertUniqueTransactionIds, committedBlockSchema } from '../block-schema.js';
import { fromAppendRefusal, isAppendRefusal, logUnavailable, notReplicated } from '../errors.js';
import { jsonBodyParser } from '../json-body.js';
import type { IngestMetrics } from '../metrics.js';

export interface BlocksRouteOptions {
  queue: AppendQueue;
  auth: RequestAuth;
  metrics: IngestMetrics;
  maxBodyBytes: number;
}

const acceptedSchema = {
  type: 'object',
  properties: {
    height: { type: 'integer' },
    status: { type: 'string' },
    epoch: { type: 'string' },
    transactions: { type: 'integer' },
    rejected: { type: 'integer' },
  },
} as const;

/**
 * `POST /api/v1/blocks` (architecture §5): auth on the headers, then the raw body (signature, JSON),
 * then the schema, then one append. Every check runs before the append, so nothing is written
 * on a refusal (4xx). 201 appended, 200 identical duplicate. A 503 (the append got no answer)
 * cannot say whether the block was written; resending it is safe either way.
 */
export function blocksRoute(options: BlocksRouteOptions): FastifyPluginCallback {
  const { queue, auth, metrics, maxBodyBytes } = options;
  return (scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: maxBodyBytes },
      jsonBodyParser(auth),
    );
    scope.addHook('onRequest', (request, _reply, next) => {
      try {
        auth.checkHeaders(request);
      } catch (error) {
        next(error as Error);
        return;
      }
      next();
    });
    scope.addHook('onResponse', (_request, reply, next) => {
      metrics.request(reply.statusCode, reply.elapsedTime);
      next();
    });

    scope.post(
      '/api/v1/blocks',
      {
        bodyLimit: maxBodyBytes,
        schema: { body: committedBlockSchema, response: { 200: acceptedSchema, 201: acceptedSchema } },
      },
      async (request, reply) => {
        auth.assertVerified(request);
        const block = request.body as CommittedBlock;
        assertUniqueTransactionIds(block);
        const event = normaliseBlock(block, Date.now());
        let result: AppendResult;
        const started = performance.now();
        try {
          result = await queue.append(event);
        } catch (error) {
          metrics.appendTook((performance.now() - started) / 1000);
          if (isAppendRefusal(error)) {
            metrics.notAppended(event, 'refused');
            throw fromAppendRefusal(error);
          }
          metrics.notAppended(event, 'unavailable');
          if (error instanceof NotReplicatedError) throw notReplicated(error.required, error.acknowledged);
          request.log.error({ err: error, height: event.height }, 'event log append failed');
          throw logUnavailable();
        }
        metrics.appendTook((performance.now() - started) / 1000);
        if (result.status === 'appended') metrics.appended(event);
        else metrics.duplicate(event);
        reply.code(result.status === 'appended' ? 201 : 200);
        return {
          height: result.height,
          status: result.status,
          epoch: result.epoch,
          transactions: event.transactions.length,
          rejected: event.rejected.length,
        };
      },
    );
    done();
  };
}
