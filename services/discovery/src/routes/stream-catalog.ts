import type { FastifyInstance } from 'fastify';

/** `GET /api/v1/streams`: the catalog document, built once from the config. */
export function registerStreamCatalogRoute(fastify: FastifyInstance, catalog: Record<string, unknown>): void {
  fastify.get('/api/v1/streams', async () => catalog);
}
