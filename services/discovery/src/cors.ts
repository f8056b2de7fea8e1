import type { FastifyInstance } from 'fastify';

/**
 * Every document here is public and read-only, so any origin may read it (BigchainDB enabled
 * CORS on its API too): `Access-Control-Allow-Origin: *` on every response, and an answer to
 * preflights. No credentials, so the wildcard is allowed by browsers and leaks nothing.
 */
export function allowAnyOrigin(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  fastify.options('*', { logLevel: 'warn' }, async (request, reply) => {
    const requested = request.headers['access-control-request-headers'];
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-max-age', '86400');
    if (requested !== undefined) {
      reply
        .header('access-control-allow-headers', requested)
        .header('vary', 'Access-Control-Request-Headers');
    }
    return reply.send();
  });
}
