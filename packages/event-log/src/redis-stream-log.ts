import {
  DEFAULT_FIRST_HEIGHT,
  DEFAULT_RETAIN_BLOCKS,
  DEFAULT_STREAM_PREFIX,
  linkedAbort,
} from '@blockcast/common';
import { type BlockEvent, type LogEntry, oldestBlockFrom, type Position } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { appendWithScript, type TrimMode } from './append-script.js';
import { assertBlockHeight, assertPosition, assertReadLimit } from './block-height.js';
import { type EmitLimits, emitLimits, prepareEmit } from './emit-options.js';
import { emitWithScript } from './emit-script.js';
import { newEpoch } from './epoch.js';
import type {
  AppendResult,
  EmitRequest,
  EmitResult,
  EventLog,
  EventLogOptions,
  LogBounds,
  TailOptions,
} from './event-log.js';
import { assertFirstHeight, assertRetainBlocks, DEFAULT_TAIL_BATCH } from './log-options.js';
import { LogResetError } from './log-reset-error.js';
import { type LogKeys, type LogState, readLogState } from './log-state.js';
import { readEntriesWithEpoch } from './read-entries-script.js';
import { tailStream } from './redis-stream-tail.js';
import { assertReplicaAcks, type ReplicaAcks, waitForReplicas } from './replica-acks.js';
import { decodeLogEntry, heightOfId, positionId, positionOfId, type StreamEntry } from './stream-entry.js';
import { blockMsOf } from './stream-reader.js';
import { laterWrite, type WrittenEntry } from './written-entry.js';

export interface RedisStreamLogOptions extends EventLogOptions {
  /**
   * Client for appends, reads, bounds and pings. The caller owns it (close() leaves it open)
   * unless `ownsClient` is set. Tails never use it for XREAD: each opens a `duplicate()`.
   */
  redis: Redis;
  /**
   * Key prefix, so several chains or tests share one Redis (default 'blockcast:'); the stream is
   * `<prefix>blocks`, idempotency keys of emits `<prefix>emitted:<key>`.
   */
  prefix?: string;
  /**
   * 'approximate' (default): `MINID ~`, Redis drops whole stream nodes, cheap, and keeps at most
   * about one node (`stream-node-max-entries`, 100 by default) more than `retainBlocks`.
   * 'exact': `MINID =`, exactly `retainBlocks` remain, at some cost per append.
   */
  trim?: TrimMode;
  /** How long one XREAD blocks before it is reissued (default 5000 ms); aborting a tail does not wait for it. */
  blockMs?: number;
  /** CLIENT SETNAME of tail connections, so operators and tests find them in CLIENT LIST (default 'blockcast:tail'). */
  tailClientName?: string;
  /** ping() answers false when Redis has not answered within this (default 1000 ms). */
  pingTimeoutMs?: number;
  /** close() also quits `redis`: for a client made for this log alone, as openEventLog does (default false). */
  ownsClient?: boolean;
  /** Each error a tail recovers from (log or count it); tail connections report here too (default: ignored). */
  onTailError?: (error: unknown) => void;
  /** Appends are reported only once this many replicas hold them (default: none, Redis's asynchronous replication). */
  replicaAcks?: ReplicaAcks;
}

export const DEFAULT_TAIL_CLIENT_NAME = 'blockcast:tail';
const DEFAULT_PING_TIMEOUT_MS = 1000;

/**
 * The production {@link EventLog}: one Redis stream per chain, key `<prefix>blocks`, entry ID
 * `<height>-0`, fields `digest`, `block` and `epoch` (architecture §4), and its epoch beside it
 * in `<prefix>epoch`. Appends are decided atomically in Redis by one Lua script, which also
 * starts a new epoch when it creates the stream; tails read with plain `XREAD BLOCK` on their own
 * connections and end with LogResetError when the stream is recreated or rolled back under them.
 *
 * A stream emptied by hand (`XTRIM … MAXLEN 0`, XDEL) still remembers its last ID, and readers'
 * cursors must never move back, so it accepts only the height after that one. To start a chain
 * over, DEL the stream key: the next append starts a new epoch and running tails are told.
 */
export class RedisStreamLog implements EventLog {
  /** The stream key. */
  readonly key: string;
  /** The key holding the stream's epoch. */
  readonly epochKey: string;
  /** Prefix of the keys remembering emits' idempotency keys. */
  readonly #rememberPrefix: string;
  readonly #limits: EmitLimits;
  readonly #redis: Redis;
  readonly #retain: number;
  readonly #firstHeight: number;
  readonly #trim: TrimMode;
  readonly #blockMs: number;
  readonly #tailClientName: string;
  readonly #pingTimeoutMs: number;
  readonly #ownsClient: boolean;
  readonly #onTailError: (error: unknown) => void;
  readonly #replicaAcks: ReplicaAcks | undefined;
  /** What this log wrote last: its next write checks a rollback did not lose it. */
  #lastWritten: WrittenEntry | undefined;
  /** Aborts every running tail when the log closes. */
  readonly #tails = new Set<() => void>();

  constructor(options: RedisStreamLogOptions) {
    this.#redis = options.redis;
    const prefix = options.prefix ?? DEFAULT_STREAM_PREFIX;
    this.key = `${prefix}blocks`;
    this.epochKey = `${prefix}epoch`;
    this.#rememberPrefix = `${prefix}emitted:`;
    this.#limits = emitLimits(options);
    this.#retain = options.retainBlocks ?? DEFAULT_RETAIN_BLOCKS;
    assertRetainBlocks(this.#retain);
    this.#firstHeight = options.firstHeight ?? DEFAULT_FIRST_HEIGHT;
    assertFirstHeight(this.#firstHeight);
    this.#trim = options.trim ?? 'approximate';
    this.#blockMs = blockMsOf(options.blockMs);
    this.#tailClientName = options.tailClientName ?? DEFAULT_TAIL_CLIENT_NAME;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    this.#ownsClient = options.ownsClient ?? false;
    this.#onTailError = options.onTailError ?? (() => {});
    assertReplicaAcks(options.replicaAcks);
    this.#replicaAcks = options.replicaAcks;
  }

  async append(block: BlockEvent): Promise<AppendResult> {
    assertBlockHeight(block.height);
    try {
      return await this.#append(block);
    } catch (error) {
      // A command timeout leaves the connection in place, and a blackholed master (SIGSTOP, a
      // failover that left this client behind) would keep every later append timing out: start over.
      if (error instanceof Error && error.message === 'Command timed out') this.#redis.disconnect(true);
      throw error;
    }
  }

  async #append(block: BlockEvent): Promise<AppendResult> {
    const { result, written } = await appendWithScript(this.#redis, {
      key: this.key,
      epochKey: this.epochKey,
      block,
      retainBlocks: this.#retain,
      firstHeight: this.#firstHeight,
      trim: this.#trim,
      freshEpoch: newEpoch(),
      lastWritten: this.#lastWritten,
    });
    this.#lastWritten = laterWrite(this.#lastWritten, written);
    // A duplicate waits too: the earlier append that wrote it may not have been replicated.
    await waitForReplicas(this.#redis, this.#replicaAcks);
    return result;
  }

  async emit(request: EmitRequest): Promise<EmitResult> {
    const prepared = prepareEmit(request, this.#limits);
    const key = request.idempotencyKey;
    const { result, written } = await emitWithScript(this.#redis, {
      key: this.key,
      epochKey: this.epochKey,
      rememberKey: key === undefined ? undefined : `${this.#rememberPrefix}${key}`,
      prepared,
      limits: this.#limits,
      firstHeight: this.#firstHeight,
      freshEpoch: newEpoch(),
      lastWritten: this.#lastWritten,
    });
    this.#lastWritten = laterWrite(this.#lastWritten, written);
    await waitForReplicas(this.#redis, this.#replicaAcks);
    return result;
  }

  async epoch(): Promise<string | null> {
    return (await readLogState(this.#redis, this.#keys())).epoch;
  }

  async readEntries(after: Position, limit: number, epoch?: string): Promise<LogEntry[]> {
    assertPosition(after);
    assertReadLimit(limit);
    if (limit <= 0) return [];
    const start = `(${positionId(after)}`;
    if (epoch === undefined) {
      const entries = await this.#redis.xrange(this.key, start, '+', 'COUNT', limit);
      return decodeAll(entries as StreamEntry[]);
    }
    const read = await readEntriesWithEpoch(this.#redis, this.#keys(), start, limit);
    if (read.epoch !== epoch)
      throw new LogResetError('reset', read.epoch, (await this.bounds())?.last ?? null);
    return decodeAll(read.entries);
  }

  tailEntries(options: TailOptions): AsyncIterable<LogEntry> {
    if (options.after !== 'latest') assertPosition(options.after);
    const after = options.after === 'latest' ? undefined : options.after;
    // 'latest' and the default epoch are the log's when tailEntries() is called: the read goes out
    // now, ahead of any later command on this client, so an append issued right after is delivered.
    const start = this.#startState(after);
    return this.#follow(options.signal, (stop) =>
      tailStream({
        connect: () => this.#openTailConnection(),
        keys: this.#keys(),
        after,
        start,
        epoch: options.epoch,
        signal: stop,
        batchSize: options.batchSize ?? DEFAULT_TAIL_BATCH,
        blockMs: this.#blockMs,
        onError: this.#onTailError,
      }),
    );
  }

  async bounds(): Promise<LogBounds | null> {
    // One MULTI, so first <= last even while appends trim the stream.
    const replies = await this.#redis
      .multi()
      .xrange(this.key, '-', '+', 'COUNT', 1)
      .xrevrange(this.key, '+', '-', 'COUNT', 1)
      .exec();
    const [oldest, newest] = (replies ?? []).map(([error, entries]) => {
      if (error) throw error;
      return (entries as StreamEntry[])[0];
    });
    if (oldest === undefined || newest === undefined) return null;
    // Blocks only. Retained entries are a suffix of the stream, so an event first means its block
    // is gone (or never was: the events emitted before the first block).
    const first = positionOfId(oldest[0]);
    const bounds = { first: oldestBlockFrom(first), last: heightOfId(newest[0]) };
    return bounds.first > bounds.last ? null : bounds;
  }

  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#pingTimeoutMs);
    });
    const answer = this.#redis.ping().then(
      (reply) => reply === 'PONG',
      () => false,
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends every tail (their connections are the log's); quits `redis` only when `ownsClient`. */
  async close(): Promise<void> {
    for (const end of [...this.#tails]) end();
    if (!this.#ownsClient) return;
    // QUIT would wait in the offline queue for a Redis that is down; there is nothing to flush.
    if (this.#redis.status !== 'ready') {
      this.#redis.disconnect();
      return;
    }
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  /** Runs `tail` under a signal that also aborts when the log closes. */
  async *#follow<T>(signal: AbortSignal, tail: (signal: AbortSignal) => AsyncIterable<T>): AsyncGenerator<T> {
    const stop = linkedAbort(signal);
    this.#tails.add(stop.abort);
    try {
      yield* tail(stop.signal);
    } finally {
      stop.dispose();
      this.#tails.delete(stop.abort);
    }
  }

  /** The state a tail starts from, asked about the entry it starts after; undefined when the read failed. */
  #startState(after: Position | undefined): Promise<LogState | undefined> {
    return readLogState(this.#redis, this.#keys(), after === undefined ? undefined : positionId(after)).catch(
      () => undefined,
    );
  }

  #openTailConnection(): Redis {
    const connection = this.#redis.duplicate({
      // A lost connection fails the read at once: the tail reconnects itself and checks the epoch first.
      retryStrategy: () => null,
      maxRetriesPerRequest: null,
      // Tails have their own deadline (BLOCK plus a grace), not the command client's timeout.
      commandTimeout: undefined,
      connectionName: this.#tailClientName,
      lazyConnect: false,
    });
    connection.on('error', this.#onTailError);
    return connection;
  }

  #keys(): LogKeys {
    return { stream: this.key, epoch: this.epochKey };
  }
}

/** The entries blockcast wrote, in order; foreign ones are skipped, as every reader does. */
function decodeAll(entries: StreamEntry[]): LogEntry[] {
  const decoded: LogEntry[] = [];
  for (const entry of entries) {
    const logEntry = decodeLogEntry(entry);
    if (logEntry !== undefined) decoded.push(logEntry);
  }
  return decoded;
}
