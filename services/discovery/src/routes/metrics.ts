import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** `/metrics` in the Prometheus text format, from this app's own registry. */
export function registerMetricsRoute(fastify: FastifyInstance, registry: Registry): void {
  fastify.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
