import type { EventLog } from '@blockcast/bus';
import type { FastifyPluginCallback } from 'fastify';

/**
 * `/healthz`: the process answers. `/readyz`: the event log answers too (RedisStreamLog bounds its
 * ping with a timeout). Once closing starts fastify answers every request with 503, so a draining
 * instance leaves the load balancer before it stops.
 */
export function healthRoutes(log: Pick<EventLog, 'ping'>): FastifyPluginCallback {
  return (scope, _opts, done) => {
    scope.get('/healthz', async () => ({ status: 'ok' }));
    scope.get('/readyz', async (_request, reply) => {
      if (await log.ping().catch(() => false)) return { status: 'ready' };
      reply.code(503);
      return { status: 'unready', code: 'LOG_UNAVAILABLE', message: 'the event log (Redis) does not answer' };
    });
    done();
  };
}
