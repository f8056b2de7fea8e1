import type { FastifyInstance } from 'fastify';
import type { RootDocuments } from '../root-documents.js';

/** `GET /` and `GET /api/v1/` (the router ignores the trailing slash, as Flask's did). */
export function registerRootDocumentRoutes(fastify: FastifyInstance, documents: RootDocuments): void {
  fastify.get('/', async () => documents.root);
  fastify.get('/api/v1/', async () => documents.apiV1);
}
