import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/**
 * One HTTP duration histogram; its `_count` is the request counter. Labels stay low-cardinality:
 * `route` is the route pattern, or `unmatched` for 404s, never the raw URL.
 */
export function instrumentRequests(fastify: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'blockcast_discovery_http_request_duration_seconds',
    help: 'HTTP requests served by discovery, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  fastify.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
