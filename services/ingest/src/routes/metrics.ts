import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';

/** `GET /metrics`: the service registry in the Prometheus text format. */
export function metricsRoute(registry: Registry): FastifyPluginCallback {
  return (scope, _opts, done) => {
    scope.get('/metrics', async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
    done();
  };
}
