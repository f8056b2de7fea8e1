import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface MetricSources {
  /** Blocks on the log not published yet; undefined when the log cannot say (sampled at each scrape). */
  blocksBehind(): Promise<number | undefined>;
  /** Sockets in catch-up now. */
  catchUpSockets(): number;
}

/** The gateway's metrics (`blockcast_gateway_<name>_<unit>`); labels are stream names, codes and reasons only. */
export class GatewayMetrics {
  readonly connections: Gauge<'stream'>;
  readonly connectionsAccepted: Counter<'stream'>;
  readonly connectionsClosed: Counter<'code'>;
  readonly connectionsRefused: Counter<'reason'>;
  readonly framesSent: Counter<'stream'>;
  readonly bytesSent: Counter<'stream'>;
  readonly blocks: Counter;
  readonly genericEvents: Counter<'type'>;
  readonly blocksFailed: Counter;
  readonly height: Gauge;
  readonly publishDuration: Histogram;
  readonly publishDelay: Histogram;
  readonly lagSeconds: Gauge;
  readonly lagBlocks: Gauge;
  readonly gaps: Counter;
  readonly resets: Counter;
  readonly slowClientsClosed: Counter;
  readonly catchUpSockets: Gauge;
  readonly catchUpExits: Counter;
  readonly #catchUpEntered: Counter;
  readonly #catchUpEntriesSent: Counter<'source'>;
  /** The same counts under their 0.x names, which said the wrong thing: kept one release (docs/operations.md). */
  readonly #deprecatedCatchUpEntries: Counter;
  readonly #deprecatedCatchUpBlocks: Counter<'source'>;
  readonly logReads: Counter;
  readonly ringBlocks: Gauge;
  readonly maxConnections: Gauge;
  readonly acceptPaused: Gauge;
  readonly acceptPauses: Counter;
  readonly transport: Gauge<'kind'>;

  constructor(registry: Registry, sources: MetricSources) {
    const registers = [registry];
    this.connections = new Gauge({
      name: 'blockcast_gateway_connections',
      help: 'Open WebSocket connections by stream',
      labelNames: ['stream'] as const,
      registers,
    });
    this.connectionsAccepted = new Counter({
      name: 'blockcast_gateway_connections_accepted_total',
      help: 'WebSocket connections opened, by stream',
      labelNames: ['stream'] as const,
      registers,
    });
    this.connectionsClosed = new Counter({
      name: 'blockcast_gateway_connections_closed_total',
      help: 'WebSocket connections closed, by close code (1006: cut without a close frame)',
      labelNames: ['code'] as const,
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'blockcast_gateway_connections_refused_total',
      help: 'Upgrades refused (by error code, lower case) or sockets closed at open (over_capacity)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.framesSent = new Counter({
      name: 'blockcast_gateway_frames_sent_total',
      help: 'Frames queued to sockets, by stream (a frame published to n subscribers counts n)',
      labelNames: ['stream'] as const,
      registers,
    });
    this.bytesSent = new Counter({
      name: 'blockcast_gateway_bytes_sent_total',
      help: 'Payload bytes of the frames queued to sockets, by stream',
      labelNames: ['stream'] as const,
      registers,
    });
    this.blocks = new Counter({
      name: 'blockcast_gateway_blocks_total',
      help: 'Blocks read from the event log and published',
      registers,
    });
    this.genericEvents = new Counter({
      name: 'blockcast_gateway_generic_events_total',
      help: 'Generic (emitted) events read from the event log and published, by type',
      labelNames: ['type'] as const,
      registers,
    });
    this.blocksFailed = new Counter({
      name: 'blockcast_gateway_blocks_failed_total',
      help: 'Entries (blocks or generic events) whose publishing threw; their frames were not sent (an alert metric)',
      registers,
    });
    this.height = new Gauge({
      name: 'blockcast_gateway_height',
      help: 'Height of the last block published',
      registers,
    });
    this.publishDuration = new Histogram({
      name: 'blockcast_gateway_publish_duration_seconds',
      help: 'Time to build and publish one block to every live subscriber',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.publishDelay = new Histogram({
      name: 'blockcast_gateway_publish_delay_seconds',
      help: 'Time from ingest accepting a block to this gateway publishing it',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'blockcast_gateway_log_lag_seconds',
      help: 'Age of the last block published when it was published (ingest to publish)',
      registers,
    });
    this.lagBlocks = new Gauge({
      name: 'blockcast_gateway_log_lag_blocks',
      help: 'Blocks on the event log this gateway has not published yet (sampled at scrape)',
      registers,
      async collect() {
        const behind = await sources.blocksBehind();
        if (behind !== undefined) this.set(behind);
      },
    });
    this.gaps = new Counter({
      name: 'blockcast_gateway_gaps_total',
      help: 'Times the event log skipped entries this gateway had not read yet (trimmed first): its live sockets were closed with 4010',
      registers,
    });
    this.resets = new Counter({
      name: 'blockcast_gateway_resets_total',
      help: 'Resets or rollbacks of the event log seen; every client was closed with 4011',
      registers,
    });
    this.slowClientsClosed = new Counter({
      name: 'blockcast_gateway_slow_clients_closed_total',
      help: 'Sockets closed with 4008: in catch-up and not draining for GATEWAY_STALL_TIMEOUT_S',
      registers,
    });
    this.catchUpSockets = new Gauge({
      name: 'blockcast_gateway_catch_up_sockets',
      help: 'Sockets off the live path, fed from the ring or the log',
      registers,
      collect() {
        this.set(sources.catchUpSockets());
      },
    });
    this.#catchUpEntered = new Counter({
      name: 'blockcast_gateway_catch_up_sockets_entered_total',
      help: 'Sockets that entered catch-up (resuming, or over the soft limit)',
      registers,
    });
    this.#deprecatedCatchUpEntries = new Counter({
      name: 'blockcast_gateway_catch_up_entries_total',
      help: 'Deprecated, removed in the next release: blockcast_gateway_catch_up_sockets_entered_total (it counts sockets, not entries)',
      registers,
    });
    this.catchUpExits = new Counter({
      name: 'blockcast_gateway_catch_up_exits_total',
      help: 'Sockets that caught up and rejoined the live path',
      registers,
    });
    this.#catchUpEntriesSent = new Counter({
      name: 'blockcast_gateway_catch_up_entries_sent_total',
      help: 'Entries (blocks and generic events) sent to catching-up sockets, by where they came from (ring or log)',
      labelNames: ['source'] as const,
      registers,
    });
    this.#deprecatedCatchUpBlocks = new Counter({
      name: 'blockcast_gateway_catch_up_blocks_total',
      help: 'Deprecated, removed in the next release: blockcast_gateway_catch_up_entries_sent_total (it counts entries, generic events too)',
      labelNames: ['source'] as const,
      registers,
    });
    this.logReads = new Counter({
      name: 'blockcast_gateway_log_reads_total',
      help: 'Range reads of the event log for catch-up (each reads up to GATEWAY_HISTORY_BATCH entries)',
      registers,
    });
    this.ringBlocks = new Gauge({
      name: 'blockcast_gateway_ring_blocks',
      help: 'Recent blocks held in memory for resume and catch-up',
      registers,
    });
    this.maxConnections = new Gauge({
      name: 'blockcast_gateway_max_connections',
      help: 'The connection limit in force: GATEWAY_MAX_CONNECTIONS, lowered to fit the open-files limit',
      registers,
    });
    this.acceptPaused = new Gauge({
      name: 'blockcast_gateway_accept_paused',
      help: '1 while the gateway does not accept connections because file descriptors are nearly exhausted',
      registers,
    });
    this.acceptPauses = new Counter({
      name: 'blockcast_gateway_accept_pauses_total',
      help: 'Times accepting stopped because file descriptors were nearly exhausted',
      registers,
    });
    this.transport = new Gauge({
      name: 'blockcast_gateway_transport_info',
      help: 'The WebSocket transport in use (1 for the active kind)',
      labelNames: ['kind'] as const,
      registers,
    });
  }

  /** A socket entered catch-up. */
  enteredCatchUp(): void {
    this.#catchUpEntered.inc();
    this.#deprecatedCatchUpEntries.inc();
  }

  /** An entry was sent to a catching-up socket from the ring or the log. */
  sentInCatchUp(source: 'ring' | 'log'): void {
    this.#catchUpEntriesSent.inc({ source });
    this.#deprecatedCatchUpBlocks.inc({ source });
  }
}
