import { ABORTED, DEFAULT_STREAM_PREFIX, sleep, untilAborted, withDeadline } from '@blockcast/common';
import type { LogEntry } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { DEFAULT_BLOCK_MS } from './redis-stream-log.js';
import { decodeLogEntry, isKnownEntry } from './stream-entry.js';

/** Where a group that does not exist yet starts: the first retained block, or the next one appended. */
export type GroupStart = 'first' | 'latest';

export interface RedisConsumerGroupOptions {
  /** Client for XGROUP, XACK and XPENDING; the caller owns it. Reads use a `duplicate()` of it. */
  redis: Redis;
  /** Key prefix (default 'blockcast:'): the group reads the stream `<prefix>blocks`. */
  prefix?: string;
  /** The consumer group, one per subscriber: each group sees every entry once acknowledged. */
  group: string;
  /**
   * This reader's name in the group. Keep it stable across restarts: pending entries belong to a
   * consumer, and a restarted reader finds its own unacknowledged entries under its name.
   */
  consumer: string;
  /** Where a new group starts (default 'latest'); an existing group keeps its position. */
  start?: GroupStart;
  /** How long one XREADGROUP blocks before it is reissued (default 5000 ms). */
  blockMs?: number;
  /** Each error the reader recovers from (default: ignored). */
  onError?: (error: unknown) => void;
}

/** One entry read through the group; it stays pending (redelivered after a restart) until acked. */
export interface GroupDelivery {
  /** The stream entry ID: `<height>-0` for a block, `<height>-<seq>` for a generic event. */
  id: string;
  /** A block or a generic event, in bus order. */
  entry: LogEntry;
  ack(): Promise<void>;
}

type StreamEntryOrGone = [id: string, fields: string[] | null];
type XReadGroupReply = [key: string, entries: StreamEntryOrGone[]][] | null;

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;
/** An XREADGROUP unanswered this long past its BLOCK time means a dead connection: start over. */
const STALL_GRACE_MS = 5000;

/**
 * A Redis consumer group on the block stream: at-least-once delivery that survives restarts, of
 * blocks and generic events alike, in bus order.
 * Entries are read one at a time, only when the caller asks for the next, so a slow reader never
 * holds more than one unacknowledged entry. After a start or any reconnect it first re-reads its
 * own pending entries (delivered, never acked), then new ones; so a reader that died mid-block
 * gets that block again, in order, before anything newer.
 */
export class RedisConsumerGroup {
  /** The stream key. */
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly #redis: Redis;
  readonly #start: GroupStart;
  readonly #blockMs: number;
  readonly #onError: (error: unknown) => void;

  constructor(options: RedisConsumerGroupOptions) {
    this.key = `${options.prefix ?? DEFAULT_STREAM_PREFIX}blocks`;
    this.group = options.group;
    this.consumer = options.consumer;
    this.#redis = options.redis;
    this.#start = options.start ?? 'latest';
    this.#blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
    this.#onError = options.onError ?? (() => {});
    if (!Number.isSafeInteger(this.#blockMs) || this.#blockMs < 1) {
      throw new RangeError(`blockMs must be an integer >= 1, got ${this.#blockMs}`);
    }
  }

  /** Creates the group (and the stream, if none) unless it exists; an existing group keeps its position. */
  async create(): Promise<void> {
    const from = this.#start === 'first' ? '0' : '$';
    try {
      await this.#redis.xgroup('CREATE', this.key, this.group, from, 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  /** Entries delivered to this group and not acknowledged yet (every consumer of it). */
  async pendingCount(): Promise<number> {
    const [count] = (await this.#redis.xpending(this.key, this.group)) as [number, ...unknown[]];
    return Number(count);
  }

  /**
   * Pending entries of this consumer, then new ones, until `signal` aborts (the iteration then
   * ends without error). Call create() first.
   */
  async *deliveries(signal: AbortSignal): AsyncGenerator<GroupDelivery> {
    let connection: Redis | undefined;
    // '0' re-reads this consumer's pending entries from the oldest; '>' asks for new ones.
    let cursor = '0';
    let failures = 0;
    try {
      while (!signal.aborted) {
        let entry: StreamEntryOrGone | undefined;
        try {
          connection ??= this.#connect();
          const reply = await untilAborted(this.#read(connection, cursor), signal);
          if (reply === ABORTED) return;
          entry = reply?.[0]?.[1]?.[0];
          failures = 0;
        } catch (error) {
          if (signal.aborted) return;
          this.#onError(error);
          connection?.disconnect();
          connection = undefined;
          // Whatever was delivered but not acked before the error is read again first.
          cursor = '0';
          failures++;
          await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1)), signal);
          continue;
        }
        if (entry === undefined) {
          if (cursor !== '>') cursor = '>';
          continue;
        }
        const [id, fields] = entry;
        if (cursor !== '>') cursor = id;
        // Trimmed by retention while pending (fields nil), or not an entry blockcast wrote: nothing to deliver.
        if (fields === null || !isKnownEntry([id, fields])) {
          await this.#ack(id);
          continue;
        }
        yield { id, entry: decodeLogEntry([id, fields]), ack: () => this.#ack(id) };
      }
    } finally {
      connection?.disconnect();
    }
  }

  #read(connection: Redis, cursor: string): Promise<XReadGroupReply> {
    const base = ['GROUP', this.group, this.consumer, 'COUNT', '1'] as const;
    const read =
      cursor === '>'
        ? connection.call('XREADGROUP', ...base, 'BLOCK', String(this.#blockMs), 'STREAMS', this.key, '>')
        : connection.call('XREADGROUP', ...base, 'STREAMS', this.key, cursor);
    return withDeadline(read as Promise<XReadGroupReply>, this.#blockMs + STALL_GRACE_MS, 'XREADGROUP');
  }

  async #ack(id: string): Promise<void> {
    await this.#redis.xack(this.key, this.group, id);
  }

  #connect(): Redis {
    const connection = this.#redis.duplicate({
      // Wait through reconnects instead of failing the read; the loop starts over from pending anyway.
      maxRetriesPerRequest: null,
      connectionName: `blockcast:group:${this.group}`,
      lazyConnect: false,
    });
    connection.on('error', this.#onError);
    return connection;
  }
}
