import type { FastifyInstance } from 'fastify';
import type { ExplorerFile, ExplorerFiles } from '../explorer-files.js';

const CONTENT_TYPES: Readonly<Record<ExplorerFile, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'explorer.js': 'text/javascript; charset=utf-8',
  'explorer.css': 'text/css; charset=utf-8',
};

/**
 * Nothing but this origin: the page's own script and style, fetches to this API, and WebSockets
 * to the streams origin the root document advertises (the gateways' port differs from ours).
 */
export function explorerContentSecurityPolicy(streamsOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${streamsOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** `GET /explorer` (the page), `/explorer/explorer.js`, `/explorer/explorer.css`. */
export function registerExplorerRoutes(
  fastify: FastifyInstance,
  files: () => Promise<ExplorerFiles>,
  streamsOrigin: string,
): void {
  const policy = explorerContentSecurityPolicy(streamsOrigin);
  const serve = (path: string, name: ExplorerFile) =>
    fastify.get(path, async (_request, reply) => {
      const body = (await files())[name]; // a failure is logged and answered INTERNAL
      return reply
        .header('content-type', CONTENT_TYPES[name])
        .header('content-security-policy', policy)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(body);
    });
  serve('/explorer', 'index.html');
  for (const name of ['explorer.js', 'explorer.css'] as const) serve(`/explorer/${name}`, name);
}
