import type { HttpRequest, HttpResponse, WebSocketBehavior } from 'uWebSockets.js';
import { EPOCH_HEADER, parseStreamRequest, type StreamRequest, UpgradeError } from '@blockcast/protocol';
import type { GatewayConfig } from '../config.js';
import type { CatchUp } from '../delivery/catch-up.js';
import type { Topics } from '../delivery/topics.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ConnectionPolicy, PolicyHeaders } from '../policy/connection-policy.js';
import type { Grant } from '../policy/token-verifier.js';
import { uWS } from '../transport/transport.js';
import { checkHandshake, checkHeadSize } from '../upgrade/handshake.js';
import { refuse } from '../upgrade/http-refusal.js';
import { settleWithin } from '../upgrade/pending-upgrade.js';
import type { ResumeCheck } from '../upgrade/resume-check.js';
import { ClientConnection, type SocketData } from './client-connection.js';
import type { Connections, StreamHead } from './connections.js';

/** What a stream route needs from the app around it. */
export interface StreamContext {
  config: GatewayConfig;
  metrics: GatewayMetrics;
  connections: Connections;
  topics: Topics;
  catchUp: CatchUp;
  resumeCheck: ResumeCheck;
  policy: ConnectionPolicy;
  head: StreamHead;
  /** GATEWAY_MAX_CONNECTIONS as lowered to fit the open-files limit: beyond it sockets close with 1013. */
  maxConnections: number;
  /** New upgrades are refused with 503 DRAINING. */
  isRefusing(): boolean;
  /** New upgrades are refused with 503 DESCRIPTORS_EXHAUSTED. */
  isOutOfDescriptors(): boolean;
}

/** Client messages up to this size get a proper 1009; beyond it uWS cuts the connection. */
export const TRANSPORT_PAYLOAD_CAP = 256 * 1024;

/** `"ping"` as bytes: compared in place, so keep-alives allocate nothing. */
const PING = [0x70, 0x69, 0x6e, 0x67];

function isTextPing(message: ArrayBuffer, isBinary: boolean): boolean {
  if (isBinary || message.byteLength !== 4) return false;
  const bytes = new Uint8Array(message);
  return bytes[0] === PING[0] && bytes[1] === PING[1] && bytes[2] === PING[2] && bytes[3] === PING[3];
}

/** Everything the policy reads, taken from the request while it is still valid (it is not after a wait). */
function policyHeaders(req: HttpRequest, res: HttpResponse): PolicyHeaders {
  const forwarded: string[] = [];
  const forwardedFor: string[] = [];
  // Every line of a repeated header: a proxy may add its own line after the client's.
  req.forEach((name, value) => {
    if (name === 'forwarded') forwarded.push(value);
    else if (name === 'x-forwarded-for') forwardedFor.push(value);
  });
  return {
    peer: Buffer.from(res.getRemoteAddressAsText()).toString(),
    forwarded,
    forwardedFor,
    origin: req.getHeader('origin'),
    authorization: req.getHeader('authorization'),
  };
}

/**
 * The WebSocket route of the streams: checks the handshake, the connection policy and the
 * request at upgrade (refusals are plain HTTP with a JSON body), then puts the socket on its live topic or, when it resumes,
 * into catch-up. Keep-alive and slow-client rules live in the sweeper; uWS's own idle timeout is
 * off, because it would cut a paused reader without a close frame.
 */
export function streamBehavior(context: StreamContext): WebSocketBehavior<SocketData> {
  const { config, metrics, connections, topics, catchUp, head, policy } = context;
  const deps = { head, topics, catchUp };
  return {
    compression: uWS.DISABLED,
    // uWS drops a connection over its own limit without a close frame, so it gets a larger cap
    // and the configured limit is enforced in `message`, where the client can be told 1009.
    maxPayloadLength: Math.max(config.maxPayloadBytes, TRANSPORT_PAYLOAD_CAP),
    // The last resort only: catch-up keeps queues near the soft limit; past this uWS would
    // otherwise skip frames silently, so it closes instead.
    maxBackpressure: config.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade: (res, req, socketContext) => {
      const url = req.getUrl();
      const query = req.getQuery() ?? '';
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const refuseWith = (error: UpgradeError) => {
        metrics.connectionsRefused.inc({ reason: error.code.toLowerCase() });
        refuse(res, error);
      };
      const handshake =
        checkHeadSize(req) ??
        checkHandshake({
          upgrade: req.getHeader('upgrade'),
          connection: req.getHeader('connection'),
          version: req.getHeader('sec-websocket-version'),
          key,
        });
      if (handshake) return refuseWith(handshake);
      if (context.isRefusing()) {
        return refuseWith(new UpgradeError('DRAINING', 'this gateway is shutting down; connect again'));
      }
      if (context.isOutOfDescriptors()) {
        return refuseWith(
          new UpgradeError(
            'DESCRIPTORS_EXHAUSTED',
            'this gateway is out of file descriptors; retry with backoff',
          ),
        );
      }
      const headers = policyHeaders(req, res);
      const address = policy.clientAddress(headers);
      const refused = policy.admit(headers, address);
      if (refused) return refuseWith(refused);
      let request: StreamRequest;
      try {
        request = parseStreamRequest(url, query, config.profile);
      } catch (error) {
        if (error instanceof UpgradeError) return refuseWith(error);
        throw error;
      }
      // No subprotocol is offered, so none is echoed back (RFC 6455 §4.2.2).
      const accept = (grant: Grant | undefined) => {
        const epoch = head.epoch();
        // The history may have changed while the checks waited: the request's positions are of the old one.
        if (request.epoch !== undefined && request.epoch !== epoch) {
          return refuseWith(
            new UpgradeError('EPOCH_MISMATCH', `epoch ${request.epoch} is not the stream's epoch ${epoch}`, {
              epoch,
              head: head.liveHeight(),
            }),
          );
        }
        const full = policy.take(address);
        if (full) return refuseWith(full);
        const connection = new ClientConnection(request, address, grant?.expiresAt, deps);
        // uWS writes its own 101 status only if none was written: writing it first lets a header precede it.
        if (epoch !== null) res.writeStatus('101 Switching Protocols').writeHeader(EPOCH_HEADER, epoch);
        res.upgrade({ connection }, key, '', extensions, socketContext);
      };
      const granted = policy.authenticate(request.stream, headers, query);
      const resumable = context.resumeCheck.check(request);
      if (granted === undefined && resumable === undefined) return accept(undefined);
      settleWithin(res, Promise.all([granted, resumable]), config.policy.handshakeTimeoutMs, {
        accept: ([grant]) => accept(grant),
        refuse: refuseWith,
      });
    },
    open: (ws) => {
      const { connection } = ws.getUserData();
      connection.opened(ws);
      if (connections.size >= context.maxConnections) {
        metrics.connectionsRefused.inc({ reason: 'over_capacity' });
        connection.end('OVER_CAPACITY');
        return;
      }
      connections.add(connection);
      metrics.connections.inc({ stream: connection.request.stream });
      metrics.connectionsAccepted.inc({ stream: connection.request.stream });
      const { since } = connection.request;
      if (since === undefined) connection.goLive();
      else connection.catchUpFrom(since);
    },
    message: (ws, message, isBinary) => {
      const { connection } = ws.getUserData();
      const now = Date.now();
      connection.heard(now);
      if (message.byteLength > config.maxPayloadBytes) return connection.end('TOO_BIG');
      // Clients only send keep-alives; anything else is ignored as the original servers did.
      if (isTextPing(message, isBinary)) connection.textPinged(now);
    },
    pong: (ws) => ws.getUserData().connection.heard(Date.now()),
    drain: (ws) => {
      const { connection } = ws.getUserData();
      if (connection.sendHeldClose()) return;
      if (connection.mode === 'catch-up') catchUp.pump(connection);
    },
    close: (ws, code) => {
      const { connection } = ws.getUserData();
      policy.release(connection.address);
      if (!connections.delete(connection)) return;
      metrics.connections.dec({ stream: connection.request.stream });
      metrics.connectionsClosed.inc({ code: String(code) });
      connection.closed();
    },
  };
}
