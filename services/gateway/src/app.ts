import type { us_listen_socket } from 'uWebSockets.js';
import { createMetricsRegistry, type Logger, OpsServer, silentLogger, sleep } from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import {
  type BlockEvent,
  continuesAfter,
  formatPosition,
  type GenericEvent,
  isGenericEvent,
  LEGACY_IDLE_TIMEOUT_MS,
  type LogEntry,
  oldestBlockFrom,
  STREAMS_PATH,
  selectsGenericEvents,
  UpgradeError,
} from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import { publishBlock } from './delivery/block-publisher.js';
import { BlockRing } from './delivery/block-ring.js';
import { CatchUp } from './delivery/catch-up.js';
import { EntryHistory } from './delivery/entry-history.js';
import { publishGenericEvent } from './delivery/generic-event-publisher.js';
import { LiveSubscriptions } from './delivery/live-subscriptions.js';
import { LogFollower } from './delivery/log-follower.js';
import { GatewayMetrics } from './metrics.js';
import { ConnectionPolicy } from './policy/connection-policy.js';
import { ConnectionSweeper } from './sockets/connection-sweeper.js';
import { Connections, type StreamHead } from './sockets/connections.js';
import { drainConnections } from './sockets/socket-drain.js';
import { streamBehavior } from './sockets/stream-behavior.js';
import { AcceptGuard } from './transport/accept-guard.js';
import { fitToOpenFiles, readOpenFilesLimit } from './transport/open-files.js';
import { LISTEN_EXCLUSIVE_PORT, requireTransport, type TransportKind, uWS } from './transport/transport.js';
import { checkHeadSize } from './upgrade/handshake.js';
import { refuse } from './upgrade/http-refusal.js';
import { ResumeCheck } from './upgrade/resume-check.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** The event log; the caller owns it and closes it after the gateway. */
  log: EventLog;
  logger?: Logger;
  registry?: Registry;
  /** 0.10 `valid_tx` idle limit (3 minutes); tests shorten it. */
  legacyIdleTimeoutMs?: number;
  /** The process's open-files limit (read from /proc/self/limits by default; null: unknown). */
  openFilesLimit?: number | null;
}

export interface GatewayApp {
  readonly transport: TransportKind;
  /** Height of the last block published, undefined before the first. */
  readonly height: number | undefined;
  /** The epoch of the history being streamed; null while the log holds nothing. */
  readonly epoch: string | null;
  readonly connections: number;
  /** GATEWAY_MAX_CONNECTIONS, lowered to what the open-files limit holds. */
  readonly maxConnections: number;
  readonly registry: Registry;
  start(): Promise<{ url: string; port: number; opsPort: number }>;
  /**
   * Drains: readiness fails, GATEWAY_DRAIN_DELAY_MS for the load balancer, then the listener closes
   * and sockets are closed with 1001 and their resume position at GATEWAY_DRAIN_RATE per second;
   * resolves when all are gone or GATEWAY_SHUTDOWN_GRACE_MS is over (the rest are cut).
   */
  close(): Promise<void>;
}

/** The native binding takes (host, port, options, cb); the bundled typings only list (port, options, cb). */
type ListenWithHostAndOptions = {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): void;
};

type Phase = 'serving' | 'deregistering' | 'closing';

export function buildGatewayApp(options: GatewayAppOptions): GatewayApp {
  const { config, log } = options;
  const logger = options.logger ?? silentLogger();
  const transport = requireTransport(config.allowFallbackTransport);
  const registry = options.registry ?? createMetricsRegistry('gateway');
  // The follower is built below; the metrics and the head read it lazily.
  let follower: LogFollower;
  const metrics = new GatewayMetrics(registry, {
    blocksBehind: async () => {
      const last = (await log.bounds().catch(() => null))?.last;
      return last === undefined ? undefined : Math.max(0, last - (follower.height ?? 0));
    },
    catchUpSockets: () => catchUp.size,
  });
  metrics.transport.set({ kind: transport }, 1);
  const openFilesLimit =
    options.openFilesLimit === undefined ? readOpenFilesLimit() : (options.openFilesLimit ?? undefined);
  const capacity = fitToOpenFiles(config.maxConnections, openFilesLimit, config.fdReserve);
  metrics.maxConnections.set(capacity.maxConnections);

  const app = uWS.App();
  let listenSocket: us_listen_socket | undefined;
  let boundPort = config.port;
  let sweeper: ConnectionSweeper | undefined;
  let phase: Phase = 'serving';
  let closed: Promise<void> | undefined;

  const ring = new BlockRing({
    blocks: Math.min(config.ringBlocks, config.retainBlocks),
    bytes: config.ringBytes,
  });
  const history = new EntryHistory({
    ring,
    // Bound to the followed epoch: a batch of a newer history is never served before the reset is.
    log: { readEntries: (after, limit) => log.readEntries(after, limit, follower.epoch ?? undefined) },
    batchBlocks: config.historyBatchBlocks,
    cachedBatches: 16,
    onRead: () => metrics.logReads.inc(),
  });
  const live = new LiveSubscriptions();
  const head: StreamHead = {
    liveHeight: () => follower.height ?? 0,
    livePosition: () => follower.position ?? { height: 0, seq: 0 },
    epoch: () => follower.epoch,
  };
  const connections = new Connections(head);
  const catchUp = new CatchUp({
    history,
    live,
    livePosition: head.livePosition,
    softLimitBytes: config.slowClientBytes,
    retryMs: 500,
    onEnter: () => metrics.catchUpEntries.inc(),
    onExit: () => metrics.catchUpExits.inc(),
    onServed: (source) => metrics.catchUpBlocks.inc({ source }),
    onHistoryGone: (ws, oldest) => connections.end(ws, 'HISTORY_GONE', { oldest }),
  });
  const sentCounter = (stream: string, frames: number, bytes: number) => {
    metrics.framesSent.inc({ stream }, frames);
    metrics.bytesSent.inc({ stream }, bytes);
  };

  const onBlock = (block: BlockEvent) => {
    const started = performance.now();
    ring.push(block);
    publishBlock(app, block, live, ring, sentCounter);
    catchUp.onLiveEntry();
    metrics.publishDuration.observe((performance.now() - started) / 1000);
    metrics.blocks.inc();
    metrics.height.set(block.height);
    metrics.ringBlocks.set(ring.size);
    const lag = Math.max(0, Date.now() - block.ingestedAt) / 1000;
    metrics.publishDelay.observe(lag);
    metrics.lagSeconds.set(lag);
  };
  const onGenericEvent = (event: GenericEvent) => {
    ring.push(event);
    publishGenericEvent(app, event, live, sentCounter);
    catchUp.onLiveEntry();
    metrics.genericEvents.inc({ type: event.type });
  };

  follower = new LogFollower({
    log,
    logger,
    onEntry: (entry: LogEntry) => (isGenericEvent(entry) ? onGenericEvent(entry) : onBlock(entry)),
    onGap: (after, got) => {
      metrics.gaps.inc();
      logger.error(
        { after: formatPosition(after), got: formatPosition(got) },
        'the event log trimmed entries before this gateway read them: live sockets that needed them are closed with 4010',
      );
      // Live sockets hold every entry up to `after`; each one the skipped entries concern is told, never fed past them.
      for (const ws of connections) {
        const { mode, subscription } = ws.getUserData();
        if (mode === 'live' && !continuesAfter(after, got, selectsGenericEvents(subscription)))
          connections.end(ws, 'HISTORY_GONE', { oldest: oldestBlockFrom(got) });
      }
    },
    onReset: (reset) => {
      metrics.resets.inc();
      ring.clear();
      history.clear();
      // Positions in the old history mean nothing in the new one: every client must resynchronise.
      for (const ws of connections) {
        connections.end(ws, 'RESET', { since: null, epoch: reset.epoch, head: reset.last ?? 0 });
      }
    },
    onEntryFailed: (entry, error) => {
      metrics.blocksFailed.inc();
      logger.error(
        { err: error, height: entry.height, ...(isGenericEvent(entry) ? { seq: entry.seq } : {}) },
        'publishing an entry failed; its frames were not sent',
      );
    },
  });

  const resumeCheck = new ResumeCheck({
    head,
    ring,
    log,
    firstRetained: () => history.firstRetained(),
    boundsTtlMs: 1000,
  });
  app.ws(
    `${STREAMS_PATH}*`,
    streamBehavior({
      config,
      metrics,
      connections,
      live,
      catchUp,
      resumeCheck,
      policy: new ConnectionPolicy(config.policy, config.auth),
      head,
      maxConnections: capacity.maxConnections,
      isRefusing: () => phase === 'closing',
      isOutOfDescriptors: () => guard?.paused === true,
    }),
  );
  app.any(`${STREAMS_PATH}*`, (res, req) => {
    // The WebSocket route takes only requests with a Sec-WebSocket-Key; these are the others.
    const attempted = req.getHeader('upgrade') !== '' || req.getHeader('sec-websocket-version') !== '';
    refuse(
      res,
      checkHeadSize(req) ??
        (attempted
          ? new UpgradeError('BAD_HANDSHAKE', 'the opening handshake has no Sec-WebSocket-Key')
          : new UpgradeError(
              'UPGRADE_REQUIRED',
              'streams are WebSocket endpoints: open a WebSocket (version 13)',
            )),
    );
  });
  app.any('/*', (res, req) =>
    refuse(
      res,
      checkHeadSize(req) ??
        new UpgradeError('NOT_FOUND', 'streams are at /api/v1/streams/<name> (WebSocket upgrade)'),
    ),
  );

  const ops = new OpsServer(registry, {
    ready: async () => {
      if (phase !== 'serving') return { ready: false, reason: 'draining' };
      if (guard?.paused) return { ready: false, reason: 'file descriptors nearly exhausted: not accepting' };
      if (!follower.running) return { ready: false, reason: 'not following the event log' };
      if (follower.failing)
        return { ready: false, reason: `event log tail failing: ${String(follower.failing)}` };
      return (await log.ping()) ? { ready: true } : { ready: false, reason: 'event log unreachable' };
    },
  });

  const listen = () =>
    new Promise<number>((resolve, reject) => {
      // Port 0 is always exclusive: with SO_REUSEPORT the kernel may hand out a port another
      // process already shares, and connections would silently split between the two.
      const exclusive = config.exclusivePort || config.port === 0;
      (app as unknown as ListenWithHostAndOptions).listen(
        config.host,
        boundPort,
        exclusive ? LISTEN_EXCLUSIVE_PORT : 0,
        (socket) => {
          if (!socket) return reject(new Error(`gateway cannot listen on ${config.host}:${boundPort}`));
          listenSocket = socket;
          boundPort = uWS.us_socket_local_port(socket);
          resolve(boundPort);
        },
      );
    });

  const closeListener = () => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    listenSocket = undefined;
  };

  const guard =
    openFilesLimit === undefined
      ? undefined
      : new AcceptGuard({
          limit: openFilesLimit,
          reserve: config.fdReserve,
          onChange: (paused) => {
            metrics.acceptPaused.set(paused ? 1 : 0);
            if (paused) {
              metrics.acceptPauses.inc();
              logger.warn(
                { limit: openFilesLimit, connections: connections.size },
                'file descriptors nearly exhausted: not accepting connections until some close',
              );
              closeListener();
            } else if (phase === 'serving' && listenSocket === undefined) {
              logger.info({ connections: connections.size }, 'file descriptors free again: accepting');
              listen().catch((error: unknown) => logger.error({ err: error }, 'listening again failed'));
            }
          },
        });

  const drain = async () => {
    const deadline = Date.now() + config.shutdownGraceMs;
    phase = 'deregistering';
    logger.info({ delayMs: config.drainDelayMs, connections: connections.size }, 'draining: readiness off');
    await sleep(config.drainDelayMs, new AbortController().signal);
    phase = 'closing';
    guard?.stop();
    closeListener();
    sweeper?.stop();
    const cut = await drainConnections(connections, { ratePerSecond: config.drainRatePerSecond, deadline });
    if (cut > 0) logger.warn({ cut }, 'shutdown grace over: connections cut');
    await follower.stop();
    await ops.close();
  };

  return {
    transport,
    registry,
    get height() {
      return follower.height;
    },
    get epoch() {
      return follower.epoch;
    },
    get connections() {
      return connections.size;
    },
    maxConnections: capacity.maxConnections,
    async start() {
      await follower.start();
      try {
        const port = await listen();
        const opsPort = await ops.listen(config.host, config.opsPort);
        sweeper = new ConnectionSweeper(connections, catchUp, {
          legacyIdleMs: options.legacyIdleTimeoutMs ?? LEGACY_IDLE_TIMEOUT_MS,
          idleMs: config.idleTimeoutSeconds * 1000,
          softLimitBytes: config.slowClientBytes,
          stallMs: config.stallTimeoutSeconds * 1000,
          livePosition: head.livePosition,
          lastPublishedAt: (key) => live.lastPublishedAt(key),
          onSlowClient: () => metrics.slowClientsClosed.inc(),
        });
        guard?.start();
        if (capacity.lowered) logger.warn({ maxConnections: capacity.maxConnections }, capacity.lowered);
        logger.info(
          { port, opsPort, transport, profile: config.profile, from: follower.height, epoch: follower.epoch },
          'gateway listening',
        );
        return { url: `ws://127.0.0.1:${port}`, port, opsPort };
      } catch (error) {
        guard?.stop();
        closeListener();
        await follower.stop();
        await ops.close();
        throw error;
      }
    },
    close() {
      closed ??= drain();
      return closed;
    },
  };
}
