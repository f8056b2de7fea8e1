import {
  clientErrorHandler,
  createMetricsRegistry,
  fastifyLimitOptions,
  HttpService,
  type Logger,
  silentLogger,
} from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import { AppendQueue } from './append-queue.js';
import { RequestAuth } from './auth/request-auth.js';
import type { IngestConfig } from './config.js';
import { ingestErrorHandler } from './error-handler.js';
import { httpRefusal, notFound } from './errors.js';
import { EventSchemas } from './event-schemas.js';
import { ChainFollower } from './follower/chain-follower.js';
import { IngestMetrics } from './metrics.js';
import { blocksRoute } from './routes/blocks.js';
import { eventsRoute } from './routes/events.js';

export interface IngestAppOptions {
  config: IngestConfig;
  /** Where blocks go; the caller owns it and closes it after the app. */
  log: EventLog;
  /** Default: silent (tests). main.ts passes the process logger. */
  logger?: Logger;
  /** Default: a fresh `blockcast_ingest` registry with default process metrics. */
  registry?: Registry;
  /** Clock for signature timestamps (default Date.now). */
  clock?: () => number;
}

export interface IngestApp {
  readonly fastify: FastifyInstance;
  /**
   * Listens on `config.host:config.port` (the blocks API), then on `config.opsPort` (`/healthz`,
   * `/readyz`, `/metrics`, architecture §8). Resolves with the API's URL and the ops port bound.
   */
  start(): Promise<{ url: string; opsPort: number }>;
  /**
   * `/readyz` answers 503 from the moment this is called; stops accepting, closes idle keep-alive
   * connections, lets in-flight requests and their appends finish within INGEST_SHUTDOWN_GRACE_MS,
   * then closes the ops port. Idempotent.
   */
  close(): Promise<void>;
}

export function buildIngestApp(options: IngestAppOptions): IngestApp {
  const { config, log } = options;
  const logger = options.logger ?? silentLogger();
  const registry = options.registry ?? createMetricsRegistry('ingest');
  const metrics = new IngestMetrics(registry);
  const queue = new AppendQueue(log);
  const auth = new RequestAuth(config.auth, options.clock);
  if (!auth.required) logger.warn('INGEST_ALLOW_NO_AUTH: anyone who reaches this port can append blocks');

  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines would cost more than the append at 2 000 blocks/s; refusals are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    ...fastifyLimitOptions(config.limits),
    clientErrorHandler: clientErrorHandler((status, message) => httpRefusal(status, message).toJSON()),
    // Validate exactly what was sent: no type coercion, no stripping, no defaults.
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allowUnionTypes: true,
      },
    },
  });

  // One handler for every route, registered before them, so every refusal is counted once.
  fastify.setErrorHandler(
    ingestErrorHandler({
      maxBodyBytes: config.maxBodyBytes,
      challenge: auth.challenge,
      onRefused: (code) => metrics.failed(code),
    }),
  );
  fastify.setNotFoundHandler((request, reply) => {
    const error = notFound(request.method, request.url);
    reply.code(error.status).send(error.toJSON());
  });
  // SOURCE=cometbft: blocks come from the followed node only, never also over HTTP.
  const follower = config.follower
    ? new ChainFollower({
        config: config.follower,
        log,
        queue,
        metrics,
        registry,
        logger,
        retainBlocks: config.retainBlocks,
      })
    : undefined;
  if (follower === undefined)
    fastify.register(blocksRoute({ queue, auth, metrics, maxBodyBytes: config.maxBodyBytes }));
  // Apps that emit get event-only tokens, so they cannot forge blocks; block credentials emit too.
  const eventAuth = new RequestAuth(
    { ...config.auth, tokens: [...config.auth.tokens, ...config.auth.eventTokens] },
    options.clock,
  );
  // A follower needs no credentials; without any, nobody could be told from anybody: no events route.
  if (eventAuth.required || config.auth.allowNoAuth) {
    const schemas = new EventSchemas();
    metrics.declareEventTypes(schemas.types);
    fastify.register(
      eventsRoute({ log, auth: eventAuth, schemas, metrics, maxBodyBytes: config.events.maxBodyBytes }),
    );
  } else {
    logger.info('POST /api/v1/events is off: no INGEST_TOKENS, INGEST_EVENT_TOKENS or INGEST_HMAC_SECRETS');
  }

  // Ready: the event log answers (RedisStreamLog bounds its ping with a timeout) and not draining,
  // so a closing instance leaves the load balancer while it finishes its in-flight appends.
  const service = new HttpService({
    fastify,
    registry,
    checks: {
      ready: async () => {
        if (!(await log.ping().catch(() => false))) {
          return { ready: false, reason: 'the event log (Redis) does not answer' };
        }
        if (follower?.problem !== undefined) return { ready: false, reason: follower.problem };
        return { ready: true };
      },
    },
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    limits: config.limits,
    shutdownGraceMs: config.shutdownGraceMs,
    afterDrain: () => queue.drain(),
  });
  return {
    fastify,
    async start() {
      const started = await service.start();
      follower?.start();
      return started;
    },
    async close() {
      // The follower stops appending first; then the lifecycle drains requests and appends.
      await follower?.close();
      await service.close();
    },
  };
}
