import type { FastifyInstance } from 'fastify';

/** `GET /api/v1/streams`: the catalog document, with the history's current epoch when known. */
export function registerStreamCatalogRoute(
  fastify: FastifyInstance,
  catalog: () => Promise<Record<string, unknown>>,
): void {
  fastify.get('/api/v1/streams', () => catalog());
}
