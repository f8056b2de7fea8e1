import type { HttpResponse, us_listen_socket, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { EventLog } from '@blockcast/bus';
import { createMetricsRegistry, type Logger, OpsServer, silentLogger } from '@blockcast/common';
import { type BlockEvent, CloseCode, LEGACY_IDLE_TIMEOUT_MS, StreamName } from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import { publishBlock } from './block-publisher.js';
import { BusFollower } from './bus-follower.js';
import type { GatewayConfig } from './config.js';
import { LegacyIdleSweeper } from './legacy-idle-sweeper.js';
import { createGatewayMetrics } from './metrics.js';

import type { SocketData } from './socket-data.js';
import { parseStreamRequest, StreamRequestError } from './stream-request.js';
import { topicsFor } from './topics.js';
import { LISTEN_EXCLUSIVE_PORT, requireTransport, type TransportKind, uWS } from './transport.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** The bus; the caller owns it and closes it after the gateway. */
  log: EventLog;
  logger?: Logger;
  registry?: Registry;
  /** 0.10 `valid_tx` idle limit; tests shorten it. */
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

/** Client messages up to this size get a proper 1009; beyond it uWS cuts the connection. */
const TRANSPORT_PAYLOAD_CAP = 256 * 1024;

const STATUS_TEXT: Record<number, string> = {
  400: '400 Bad Request',
  404: '404 Not Found',
  503: '503 Service Unavailable',
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
  const legacySweeper = new LegacyIdleSweeper(options.legacyIdleTimeoutMs ?? LEGACY_IDLE_TIMEOUT_MS);
  let listenSocket: us_listen_socket | undefined;
  let draining = false;
  let started = false;

  const follower = new BusFollower({
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
  });

  const refuse = (res: HttpResponse, status: number, body: object) => {
    res.cork(() => {
      res
        .writeStatus(STATUS_TEXT[status] ?? `${status}`)
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify(body));
    });
  };

  const behavior = (legacy: boolean): WebSocketBehavior<SocketData> => ({
    compression: uWS.DISABLED,
    // uWS drops a connection over its own limit without a close frame, so it gets a larger cap
    // and the configured limit is enforced below, where the client can be told 1009.
    maxPayloadLength: Math.max(config.maxPayloadBytes, TRANSPORT_PAYLOAD_CAP),
    maxBackpressure: config.maxBackpressureBytes,
    // Above maxBackpressure uWS would otherwise skip frames silently; a closed socket resumes.
    closeOnBackpressureLimit: 1,
    // 0.10 clients keep the connection alive with text "ping" (swept below); others get RFC 6455 pings.
    idleTimeout: legacy ? 0 : config.idleTimeoutSeconds,
    sendPingsAutomatically: !legacy,
    upgrade: (res, req, context) => {
      const url = req.getUrl();
      const query = req.getQuery() ?? '';
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (draining) {
        metrics.connectionsRefused.inc({ reason: 'draining' });
        return refuse(res, 503, {
          code: 'DRAINING',
          message: 'this gateway is shutting down; connect again',
        });
      }
      try {
        const request = parseStreamRequest(url, query, config.profile);
        const data: SocketData = { ...request, topics: topicsFor(request), lastPingAt: Date.now() };
        res.upgrade(data, key, protocol, extensions, context);
      } catch (error) {
        if (!(error instanceof StreamRequestError)) throw error;
        metrics.connectionsRefused.inc({ reason: error.code.toLowerCase() });
        refuse(res, error.status, error.toJSON());
      }
    },
    open: (ws) => {
      const data = ws.getUserData();
      if (sockets.size >= config.maxConnections) {
        metrics.connectionsRefused.inc({ reason: 'over_capacity' });
        ws.end(CloseCode.OVER_CAPACITY, 'gateway at capacity; try again later');
        return;
      }
      sockets.add(ws);
      metrics.connections.inc({ stream: data.stream });
      for (const topic of data.topics) ws.subscribe(topic);
      if (data.stream === StreamName.LEGACY_VALID_TX) legacySweeper.add(ws);
    },
    message: (ws, message, isBinary) => {
      if (message.byteLength > config.maxPayloadBytes) {
        ws.end(CloseCode.TOO_BIG, `messages are limited to ${config.maxPayloadBytes} bytes`);
        return;
      }
      // Clients only send keep-alives; anything else is ignored as the original servers did.
      if (isBinary || message.byteLength !== 4 || Buffer.from(message).toString() !== 'ping') return;
      ws.getUserData().lastPingAt = Date.now();
      ws.send('pong', false, false);
    },
    close: (ws) => {
      if (!sockets.delete(ws)) return;
      metrics.connections.dec({ stream: ws.getUserData().stream });
      legacySweeper.delete(ws);
    },
  });

  app.ws(`/api/v1/streams/${StreamName.LEGACY_VALID_TX}`, behavior(true));
  app.ws('/api/v1/streams/*', behavior(false));
  app.any('/*', (res) =>
    refuse(res, 404, {
      code: 'NOT_FOUND',
      message: 'streams are at /api/v1/streams/<name> (WebSocket upgrade)',
    }),
  );

  const ops = new OpsServer(registry, {
    ready: async () => {
      if (draining) return { ready: false, reason: 'draining' };
      if (!started) return { ready: false, reason: 'starting' };
      return (await log.ping()) ? { ready: true } : { ready: false, reason: 'bus unreachable' };
    },
  });

  const listen = () =>
    new Promise<number>((resolve, reject) => {
      const done = (socket: us_listen_socket | false) => {
        if (!socket) return reject(new Error(`gateway cannot listen on ${config.host}:${config.port}`));
        listenSocket = socket;
        resolve(uWS.us_socket_local_port(socket));
      };
      // Port 0 is always exclusive: with SO_REUSEPORT the kernel may hand out a port another
      // process already shares, and connections would silently split between the two.
      const exclusive = config.exclusivePort || config.port === 0;
      const options = exclusive ? LISTEN_EXCLUSIVE_PORT : 0;
      (app as unknown as ListenWithHostAndOptions).listen(config.host, config.port, options, done);
    });

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
      const port = await listen();
      const opsPort = await ops.listen(config.host, config.opsPort);
      started = true;
      logger.info(
        { port, opsPort, transport, profile: config.profile, from: follower.height },
        'gateway listening',
      );
      return { url: `ws://127.0.0.1:${port}`, port, opsPort };
    },
    async close() {
      draining = true;
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      const resumeHint =
        follower.height === undefined ? 'draining' : `draining; resume with since=${follower.height}`;
      for (const ws of [...sockets]) ws.end(CloseCode.DRAINING, resumeHint);
      legacySweeper.stop();
      await follower.stop();
      await ops.close();
    },
  };
}

export { type GatewayConfig, loadGatewayConfig } from './config.js';
