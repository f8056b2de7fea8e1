import type { FastifyInstance } from 'fastify';

export interface Readiness {
  /** False once shutdown has begun, so the load balancer stops sending traffic first. */
  ready(): boolean;
}

/** `/healthz`: the process answers. `/readyz`: it should get traffic. Probes log only problems. */
export function registerHealthRoutes(fastify: FastifyInstance, readiness: Readiness): void {
  fastify.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  fastify.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (readiness.ready()) return { status: 'ready' };
    return reply.code(503).send({ status: 'closing' });
  });
}
