import type { HttpResponse, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { CloseCode, StreamName } from '@blockcast/protocol';
import type { GatewayConfig } from './config.js';
import type { GatewayMetrics } from './metrics.js';
import type { SocketData } from './socket-data.js';
import { parseStreamRequest, StreamRequestError } from './stream-request.js';
import { topicsFor } from './topics.js';
import { uWS } from './transport.js';

/** What a stream route needs from the app around it. */
export interface StreamContext {
  config: GatewayConfig;
  metrics: GatewayMetrics;
  sockets: Set<WebSocket<SocketData>>;
  isDraining(): boolean;
}

/** Client messages up to this size get a proper 1009; beyond it uWS cuts the connection. */
export const TRANSPORT_PAYLOAD_CAP = 256 * 1024;

const STATUS_TEXT: Record<number, string> = {
  400: '400 Bad Request',
  404: '404 Not Found',
  503: '503 Service Unavailable',
};

export function refuse(res: HttpResponse, status: number, body: object): void {
  res.cork(() => {
    res
      .writeStatus(STATUS_TEXT[status] ?? `${status}`)
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify(body));
  });
}

/** `"ping"` as bytes: compared in place, so keep-alives allocate nothing. */
const PING = [0x70, 0x69, 0x6e, 0x67];

function isTextPing(message: ArrayBuffer, isBinary: boolean): boolean {
  if (isBinary || message.byteLength !== 4) return false;
  const bytes = new Uint8Array(message);
  return bytes[0] === PING[0] && bytes[1] === PING[1] && bytes[2] === PING[2] && bytes[3] === PING[3];
}

/**
 * The WebSocket route of the streams: checks the request at upgrade (refusals are plain HTTP
 * with a JSON body), subscribes the socket to its topics, answers keep-alives.
 * `legacy` is the 0.10 `valid_tx` route, kept alive by text "ping" instead of RFC 6455 pings.
 */
export function streamBehavior(context: StreamContext, legacy: boolean): WebSocketBehavior<SocketData> {
  const { config, metrics, sockets } = context;
  return {
    compression: uWS.DISABLED,
    // uWS drops a connection over its own limit without a close frame, so it gets a larger cap
    // and the configured limit is enforced in `message`, where the client can be told 1009.
    maxPayloadLength: Math.max(config.maxPayloadBytes, TRANSPORT_PAYLOAD_CAP),
    // The connection sweeper closes slow clients with 4008 well before this; past it uWS would
    // otherwise skip frames silently, so it closes instead.
    maxBackpressure: config.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    idleTimeout: legacy ? 0 : config.idleTimeoutSeconds,
    sendPingsAutomatically: !legacy,
    upgrade: (res, req, socketContext) => {
      const url = req.getUrl();
      const query = req.getQuery() ?? '';
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (context.isDraining()) {
        metrics.connectionsRefused.inc({ reason: 'draining' });
        return refuse(res, 503, {
          code: 'DRAINING',
          message: 'this gateway is shutting down; connect again',
        });
      }
      try {
        const request = parseStreamRequest(url, query, config.profile);
        const data: SocketData = { ...request, lastPingAt: Date.now() };
        res.upgrade(data, key, protocol, extensions, socketContext);
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
      // Topics follow from the request; they are not kept per socket (uWS keeps the subscriptions).
      for (const topic of topicsFor(data)) ws.subscribe(topic);
    },
    message: (ws, message, isBinary) => {
      if (message.byteLength > config.maxPayloadBytes) {
        ws.end(CloseCode.TOO_BIG, `messages are limited to ${config.maxPayloadBytes} bytes`);
        return;
      }
      // Clients only send keep-alives; anything else is ignored as the original servers did.
      if (!isTextPing(message, isBinary)) return;
      ws.getUserData().lastPingAt = Date.now();
      ws.send('pong', false, false);
    },
    close: (ws) => {
      if (sockets.delete(ws)) metrics.connections.dec({ stream: ws.getUserData().stream });
    },
  };
}

/** Both spellings of the 0.10 path get the 0.10 keep-alive rules. */
export const LEGACY_PATHS = [
  `/api/v1/streams/${StreamName.LEGACY_VALID_TX}`,
  `/api/v1/streams/${StreamName.LEGACY_VALID_TX}/`,
];
