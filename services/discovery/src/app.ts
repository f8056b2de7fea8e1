import type { AddressInfo } from 'node:net';
import { createMetricsRegistry, type Logger, OpsServer, silentLogger } from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { buildCatalogDocument } from './catalog-document.js';
import type { DiscoveryConfig } from './config.js';
import { allowAnyOrigin } from './cors.js';
import { answerErrorsWithCodes, errorFactoryOptions } from './errors.js';
import { instrumentRequests } from './metrics.js';
import { buildRootDocuments } from './root-documents.js';
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
  /** Fails readiness, stops accepting and waits for in-flight requests, then closes the ops port. Idempotent. */
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
    ...errorFactoryOptions,
  });
  let listening = false;
  let closing: Promise<void> | undefined;

  instrumentRequests(fastify, registry);
  allowAnyOrigin(fastify);
  answerErrorsWithCodes(fastify);
  // The documents depend on the config only: built once, served as they are.
  registerRootDocumentRoutes(fastify, buildRootDocuments(config));
  const streamState = options.log ? streamStateReader(options.log) : undefined;
  registerStreamCatalogRoute(fastify, async () => buildCatalogDocument(config, await streamState?.()));

  // Discovery has no dependencies: ready while its API port accepts, not once draining.
  const ops = new OpsServer(registry, {
    ready: async () => {
      if (closing) return { ready: false, reason: 'draining' };
      if (!listening) return { ready: false, reason: 'starting' };
      return { ready: true };
    },
  });

  return {
    fastify,
    async start() {
      await fastify.listen({ host: config.host, port: config.port });
      let opsPort: number;
      try {
        opsPort = await ops.listen(config.host, config.opsPort);
      } catch (error) {
        await fastify.close();
        throw error;
      }
      listening = true;
      return { url: reachableUrl(fastify.server.address() as AddressInfo), opsPort };
    },
    close() {
      // The ops port stays up while requests drain, so probes see 503 draining, not a refusal.
      closing ??= fastify.close().finally(() => ops.close());
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
