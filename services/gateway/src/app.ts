import type { us_listen_socket, WebSocket } from 'uWebSockets.js';
import { createMetricsRegistry, type Logger, OpsServer, silentLogger } from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import { type BlockEvent, CloseCode, LEGACY_IDLE_TIMEOUT_MS } from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import { publishBlock } from './block-publisher.js';
import type { GatewayConfig } from './config.js';
import { ConnectionSweeper } from './connection-sweeper.js';
import { LogFollower } from './log-follower.js';
import { createGatewayMetrics } from './metrics.js';
import type { SocketData } from './socket-data.js';
import { LEGACY_PATHS, refuse, streamBehavior } from './stream-behavior.js';
import { LISTEN_EXCLUSIVE_PORT, requireTransport, type TransportKind, uWS } from './transport.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** The bus; the caller owns it and closes it after the gateway. */
  log: EventLog;
  logger?: Logger;
  registry?: Registry;
  /** 0.10 `valid_tx` idle limit (3 minutes); tests shorten it. */
  legacyIdleTimeoutMs?: number;
}

export interface GatewayApp {
  readonly transport: TransportKind;
  /** Height of the last block published, undefined before the first. */
  readonly height: number | undefined;
  readonly connections: number;
  readonly registry: Registry;
  start(): Promise<{ url: string; port: number; opsPort: number }>;
  close(): Promise<void>;
}

/** The native binding takes (host, port, options, cb); the bundled typings only list (port, options, cb). */
type ListenWithHostAndOptions = {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): void;
};

export function buildGatewayApp(options: GatewayAppOptions): GatewayApp {
  const { config, log } = options;
  const logger = options.logger ?? silentLogger();
  const transport = requireTransport(config.allowFallbackTransport);
  const registry = options.registry ?? createMetricsRegistry('gateway');
  const metrics = createGatewayMetrics(registry);
  metrics.transport.set({ kind: transport }, 1);

  const app = uWS.App();
  const sockets = new Set<WebSocket<SocketData>>();
  let listenSocket: us_listen_socket | undefined;
  let sweeper: ConnectionSweeper | undefined;
  let draining = false;

  const follower = new LogFollower({
    log,
    logger,
    onBlock: (block: BlockEvent) => {
      metrics.framesPublished.inc(publishBlock(app, block));
      metrics.blocks.inc();
      metrics.height.set(block.height);
      metrics.publishDelay.observe(Math.max(0, Date.now() - block.ingestedAt) / 1000);
    },
    onGap: (expected, got) => {
      metrics.gaps.inc();
      logger.error({ expected, got }, 'gap in the bus: heights were skipped');
    },
    onBlockFailed: (block, error) => {
      metrics.blocksFailed.inc();
      logger.error(
        { err: error, height: block.height },
        'publishing a block failed; its frames were not sent',
      );
    },
  });

  const context = { config, metrics, sockets, isDraining: () => draining };
  for (const path of LEGACY_PATHS) app.ws(path, streamBehavior(context, true));
  app.ws('/api/v1/streams/*', streamBehavior(context, false));
  app.any('/*', (res) =>
    refuse(res, 404, {
      code: 'NOT_FOUND',
      message: 'streams are at /api/v1/streams/<name> (WebSocket upgrade)',
    }),
  );

  const ops = new OpsServer(registry, {
    ready: async () => {
      if (draining) return { ready: false, reason: 'draining' };
      if (!follower.running) return { ready: false, reason: 'not following the bus' };
      if (follower.failing) return { ready: false, reason: `bus tail failing: ${String(follower.failing)}` };
      return (await log.ping()) ? { ready: true } : { ready: false, reason: 'bus unreachable' };
    },
  });

  const listen = () =>
    new Promise<number>((resolve, reject) => {
      // Port 0 is always exclusive: with SO_REUSEPORT the kernel may hand out a port another
      // process already shares, and connections would silently split between the two.
      const exclusive = config.exclusivePort || config.port === 0;
      (app as unknown as ListenWithHostAndOptions).listen(
        config.host,
        config.port,
        exclusive ? LISTEN_EXCLUSIVE_PORT : 0,
        (socket) => {
          if (!socket) return reject(new Error(`gateway cannot listen on ${config.host}:${config.port}`));
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket));
        },
      );
    });

  const closeListener = () => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    listenSocket = undefined;
  };

  return {
    transport,
    registry,
    get height() {
      return follower.height;
    },
    get connections() {
      return sockets.size;
    },
    async start() {
      await follower.start();
      try {
        const port = await listen();
        const opsPort = await ops.listen(config.host, config.opsPort);
        sweeper = new ConnectionSweeper(sockets, {
          legacyIdleMs: options.legacyIdleTimeoutMs ?? LEGACY_IDLE_TIMEOUT_MS,
          slowClientBytes: config.slowClientBytes,
          lastHeight: () => follower.height,
          onSlowClient: () => metrics.slowClientsClosed.inc(),
        });
        logger.info(
          { port, opsPort, transport, profile: config.profile, from: follower.height },
          'gateway listening',
        );
        return { url: `ws://127.0.0.1:${port}`, port, opsPort };
      } catch (error) {
        closeListener();
        await follower.stop();
        await ops.close();
        throw error;
      }
    },
    async close() {
      draining = true;
      closeListener();
      sweeper?.stop();
      const height = follower.height;
      const reason = height === undefined ? 'draining' : `draining; last height sent ${height}`;
      for (const ws of [...sockets]) ws.end(CloseCode.DRAINING, reason);
      await follower.stop();
      await ops.close();
    },
  };
}
