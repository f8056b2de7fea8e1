import {
  createMetricsRegistry,
  fastifyLimitOptions,
  HttpService,
  type Logger,
  silentLogger,
} from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { streamsOrigin } from './advertised-urls.js';
import { buildCatalogDocument } from './catalog-document.js';
import type { DiscoveryConfig } from './config.js';
import { allowAnyOrigin } from './cors.js';
import { answerErrorsWithCodes, errorFactoryOptions } from './errors.js';
import { loadExplorerFiles } from './explorer-files.js';
import { instrumentRequests } from './metrics.js';
import { buildRootDocuments } from './root-documents.js';
import { registerExplorerRoutes } from './routes/explorer.js';
import { registerRootDocumentRoutes } from './routes/root-documents.js';
import { registerStreamCatalogRoute } from './routes/stream-catalog.js';
import { streamStateReader } from './stream-state.js';

export interface DiscoveryAppOptions {
  config: DiscoveryConfig;
  /** Default: silent, for tests; main.ts passes the process logger. */
  logger?: Logger;
  /** Default: a new `blockcast_discovery_` registry with default process metrics. */
  registry?: Registry;
  /** The event log, read for the catalog's epoch and bounds; without it they are left out. */
  log?: Pick<EventLog, 'epoch' | 'bounds'>;
}

export interface DiscoveryApp {
  /** The public API: root documents and stream catalog only; probes and metrics are on the ops port. */
  readonly fastify: FastifyInstance;
  /**
   * Listens on the configured host, the API on `port` and `/healthz`, `/readyz`, `/metrics` on
   * `opsPort`; `url` is where this process's API can be reached, `opsPort` the ops port bound.
   */
  start(): Promise<{ url: string; opsPort: number }>;
  /**
   * Fails readiness, stops accepting, closes idle keep-alive connections and lets in-flight
   * requests finish within DISCOVERY_SHUTDOWN_GRACE_MS, then closes the ops port. Idempotent.
   */
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
    ...fastifyLimitOptions(config.limits),
    ...errorFactoryOptions,
  });
  instrumentRequests(fastify, registry);
  allowAnyOrigin(fastify);
  answerErrorsWithCodes(fastify);
  // The documents depend on the config only: built once, served as they are.
  registerRootDocumentRoutes(fastify, buildRootDocuments(config));
  const streamState = options.log ? streamStateReader(options.log) : undefined;
  registerStreamCatalogRoute(fastify, async () => buildCatalogDocument(config, await streamState?.()));
  registerExplorerRoutes(fastify, loadExplorerFiles, streamsOrigin(config.advertised));

  // Discovery has no dependencies: ready while its API port accepts, not once draining.
  const service = new HttpService({
    fastify,
    registry,
    checks: { ready: async () => ({ ready: true }) },
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    limits: config.limits,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  return { fastify, start: () => service.start(), close: () => service.close() };
}
