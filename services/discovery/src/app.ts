import type { AddressInfo } from 'node:net';
import { createMetricsRegistry, type Logger, silentLogger } from '@blockcast/common';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { buildCatalogDocument } from './catalog-document.js';
import type { DiscoveryConfig } from './config.js';
import { allowAnyOrigin } from './cors.js';
import { instrumentRequests } from './metrics.js';
import { buildRootDocuments } from './root-documents.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerRootDocumentRoutes } from './routes/root-documents.js';
import { registerStreamCatalogRoute } from './routes/stream-catalog.js';

export type { DiscoveryConfig } from './config.js';
export { loadDiscoveryConfig } from './config.js';

export interface DiscoveryAppOptions {
  config: DiscoveryConfig;
  /** Default: silent, for tests; main.ts passes the process logger. */
  logger?: Logger;
  /** Default: a new `blockcast_discovery_` registry with default process metrics. */
  registry?: Registry;
}

export interface DiscoveryApp {
  readonly fastify: FastifyInstance;
  /** Listens on the configured host and port; `url` is where this process can be reached. */
  start(): Promise<{ url: string }>;
  /** Fails readiness, then stops accepting and waits for in-flight requests. Idempotent. */
  close(): Promise<void>;
}

/** Builds discovery from a config object; no process state, so tests build one per case. */
export function buildDiscoveryApp(options: DiscoveryAppOptions): DiscoveryApp {
  const { config } = options;
  const registry = options.registry ?? createMetricsRegistry('discovery');
  // Typed as Fastify's logger so the instance is the plain FastifyInstance the routes take.
  const logger: FastifyBaseLogger = options.logger ?? silentLogger();
  const fastify = Fastify({
    loggerInstance: logger,
    routerOptions: { ignoreTrailingSlash: true },
  });
  let closing: Promise<void> | undefined;

  instrumentRequests(fastify, registry);
  allowAnyOrigin(fastify);
  // The documents depend on the config only: built once, served as they are.
  registerRootDocumentRoutes(fastify, buildRootDocuments(config));
  registerStreamCatalogRoute(fastify, buildCatalogDocument(config));
  registerHealthRoutes(fastify, { ready: () => closing === undefined });
  registerMetricsRoute(fastify, registry);

  return {
    fastify,
    async start() {
      await fastify.listen({ host: config.host, port: config.port });
      return { url: reachableUrl(fastify.server.address() as AddressInfo) };
    },
    close() {
      closing ??= fastify.close();
      return closing;
    },
  };
}

/** A wildcard bind address is not something to connect to: use loopback of the same family. */
function reachableUrl(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  return `http://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`;
}
