import { createMetricsRegistry, type Logger, OpsServer, silentLogger, sleep } from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import { formatPosition, LEGACY_IDLE_TIMEOUT_MS, STREAMS_PATH } from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import { CatchUp } from './delivery/catch-up.js';
import { Fanout } from './delivery/fanout.js';
import { History } from './delivery/history.js';
import { LogFollower } from './delivery/log-follower.js';
import { Topics } from './delivery/topics.js';
import { GatewayMetrics } from './metrics.js';
import { ConnectionPolicy } from './policy/connection-policy.js';
import { ConnectionSweeper } from './sockets/connection-sweeper.js';
import { Connections, type StreamHead } from './sockets/connections.js';
import { drainConnections } from './sockets/socket-drain.js';
import { streamBehavior } from './sockets/stream-behavior.js';
import { Listener } from './transport/listener.js';
import { fitToOpenFiles, readOpenFilesLimit } from './transport/open-files.js';
import { requireTransport, type TransportKind, uWS } from './transport/transport.js';
import { refuseOtherRequests } from './upgrade/other-requests.js';
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

type Phase = 'serving' | 'deregistering' | 'closing';

/** Builds the gateway from its config: wires the delivery core, the stream route and the ops server. */
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
  const listener = new Listener(app, {
    host: config.host,
    port: config.port,
    exclusivePort: config.exclusivePort,
    openFilesLimit,
    fdReserve: config.fdReserve,
    mayListen: () => phase === 'serving',
    onPause: (paused) => {
      metrics.acceptPaused.set(paused ? 1 : 0);
      if (!paused) {
        if (phase === 'serving')
          logger.info({ connections: connections.size }, 'file descriptors free again: accepting');
        return;
      }
      metrics.acceptPauses.inc();
      logger.warn(
        { limit: openFilesLimit, connections: connections.size },
        'file descriptors nearly exhausted: not accepting connections until some close',
      );
    },
    onListenFailed: (error) => logger.error({ err: error }, 'listening again failed'),
  });
  let sweeper: ConnectionSweeper | undefined;
  let phase: Phase = 'serving';
  let closed: Promise<void> | undefined;

  const history = new History({
    ring: { blocks: Math.min(config.ringBlocks, config.retainBlocks), bytes: config.ringBytes },
    // Bound to the followed epoch: a batch of a newer history is never served before the reset is.
    log: { readEntries: (after, limit) => log.readEntries(after, limit, follower.epoch ?? undefined) },
    // One setting, two uses: the entries a read asks for, and the height stride reads start at.
    entriesPerRead: config.historyBatchEntries,
    alignHeights: config.historyBatchEntries,
    cachedBatches: 16,
    onRead: () => metrics.logReads.inc(),
  });
  const head: StreamHead = {
    liveHeight: () => follower.height ?? 0,
    livePosition: () => follower.position ?? { height: 0, seq: 0 },
    epoch: () => follower.epoch,
  };
  const topics = new Topics();
  const connections = new Connections();
  const catchUp = new CatchUp({
    history,
    livePosition: head.livePosition,
    softLimitBytes: config.slowClientBytes,
    retryMs: 500,
    onEnter: () => metrics.enteredCatchUp(),
    onExit: () => metrics.catchUpExits.inc(),
    onServed: (source) => metrics.sentInCatchUp(source),
  });
  const fanout = new Fanout({ app, history, topics, catchUp, connections, metrics });

  follower = new LogFollower({
    log,
    logger,
    onEntry: (entry) => fanout.publish(entry),
    onGap: (after, got) => {
      metrics.gaps.inc();
      logger.error(
        { after: formatPosition(after), got: formatPosition(got) },
        'the event log trimmed entries before this gateway read them: live sockets that needed them are closed with 4010',
      );
      fanout.gap(after, got);
    },
    onReset: (reset) => {
      metrics.resets.inc();
      fanout.reset(reset);
    },
    onEntryFailed: (entry, error) => {
      metrics.blocksFailed.inc();
      logger.error(
        { err: error, height: entry.height, ...(entry.kind === 'event' ? { seq: entry.seq } : {}) },
        'publishing an entry failed; its frames were not sent',
      );
    },
  });

  app.ws(
    `${STREAMS_PATH}*`,
    streamBehavior({
      config,
      metrics,
      connections,
      topics,
      catchUp,
      resumeCheck: new ResumeCheck({ head, history, log, boundsTtlMs: 1000 }),
      policy: new ConnectionPolicy(config.policy, config.auth),
      head,
      maxConnections: capacity.maxConnections,
      isRefusing: () => phase === 'closing',
      isOutOfDescriptors: () => listener.paused,
    }),
  );
  refuseOtherRequests(app);

  const ops = new OpsServer(registry, {
    ready: async () => {
      if (phase !== 'serving') return { ready: false, reason: 'draining' };
      if (listener.paused)
        return { ready: false, reason: 'file descriptors nearly exhausted: not accepting' };
      if (!follower.running) return { ready: false, reason: 'not following the event log' };
      if (follower.failing)
        return { ready: false, reason: `event log tail failing: ${String(follower.failing)}` };
      return (await log.ping()) ? { ready: true } : { ready: false, reason: 'event log unreachable' };
    },
  });

  const drain = async () => {
    const deadline = Date.now() + config.shutdownGraceMs;
    phase = 'deregistering';
    logger.info({ delayMs: config.drainDelayMs, connections: connections.size }, 'draining: readiness off');
    await sleep(config.drainDelayMs, new AbortController().signal);
    phase = 'closing';
    listener.stop();
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
        const port = await listener.start();
        const opsPort = await ops.listen(config.host, config.opsPort);
        sweeper = new ConnectionSweeper(connections, {
          legacyIdleMs: options.legacyIdleTimeoutMs ?? LEGACY_IDLE_TIMEOUT_MS,
          idleMs: config.idleTimeoutSeconds * 1000,
          softLimitBytes: config.slowClientBytes,
          stallMs: config.stallTimeoutSeconds * 1000,
          livePosition: head.livePosition,
          lastPublishedAt: (key) => topics.lastPublishedAt(key),
          onSlowClient: () => metrics.slowClientsClosed.inc(),
        });
        if (capacity.lowered) logger.warn({ maxConnections: capacity.maxConnections }, capacity.lowered);
        logger.info(
          { port, opsPort, transport, profile: config.profile, from: follower.height, epoch: follower.epoch },
          'gateway listening',
        );
        return { url: `ws://127.0.0.1:${port}`, port, opsPort };
      } catch (error) {
        listener.stop();
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
