import { ABORTED, DEFAULT_STREAM_PREFIX, sleep, untilAborted, withDeadline } from '@blockcast/common';
import type { LogEntry, Position } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { newEpoch } from './epoch.js';
import { EpochWatch } from './epoch-watch.js';
import { type NewEntryRead, readNewEntry, settleGap } from './group-read-script.js';
import { type LogKeys, readLogState, switchEpoch } from './log-state.js';
import { DEFAULT_BLOCK_MS } from './redis-stream-log.js';
import { decodeLogEntry, entryEpoch, isKnownEntry, positionOfId, type StreamEntry } from './stream-entry.js';

/** Where a group that does not exist yet starts: the first retained block, or the next one appended. */
export type GroupStart = 'first' | 'latest';

/**
 * Entries the group can no longer deliver: trimmed by retention before they were taken (never
 * delivered, or delivered and not acknowledged). Every entry from `from` up to (not including)
 * `resumedAt` that was on the bus is gone; delivery goes on at `resumedAt`.
 */
export interface HistoryGap {
  /** The first position that may be missing: every entry before it was delivered. */
  from: Position;
  /** The entry delivery resumes with; null when none is left yet (the stream was emptied by hand). */
  resumedAt: Position | null;
  /** The oldest entry the stream retains now; null when it retains none. */
  oldest: Position | null;
  /** How many entries were lost, from Redis's read counters; null when it cannot tell (entries deleted by XDEL). */
  lost: number | null;
}

/** The history under the group changed: what it delivered before and what it delivers after are two histories. */
export interface HistoryReset {
  /** `reset`: the stream was recreated (FLUSHALL, DEL, a failover without the data); `rollback`: it went back below what was delivered (an older snapshot). */
  cause: 'reset' | 'rollback';
  /** The epoch delivered until now; null when the stream had none. */
  previousEpoch: string | null;
  /** The epoch delivered from now on; null while the new stream has none yet. */
  epoch: string | null;
}

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
  /** How long one blocking read waits before it is reissued (default 5000 ms). */
  blockMs?: number;
  /** Each error the reader recovers from (default: ignored). */
  onError?: (error: unknown) => void;
  /**
   * Entries were trimmed before they were taken. Awaited before the entry after the gap is
   * delivered; the loss is marked read only once it returns, so a reader that dies first is told
   * again. Default: nothing (the gap is still crossed, never stuck on).
   */
  onGap?: (gap: HistoryGap) => void | Promise<void>;
  /** The history changed under the group (see {@link HistoryReset}); awaited before the new history's first entry. */
  onReset?: (reset: HistoryReset) => void | Promise<void>;
  /** Why the reader cannot read (Redis unreachable, the stream gone), on each change; undefined once it reads again. */
  onReadable?: (problem: string | undefined) => void;
}

/** One entry read through the group; it stays pending (redelivered after a restart) until acked. */
export interface GroupDelivery {
  /** The stream entry ID: `<height>-0` for a block, `<height>-<seq>` for a generic event. */
  id: string;
  /** A block or a generic event, in bus order. */
  entry: LogEntry;
  ack(): Promise<void>;
}

type XReadGroupReply = [key: string, entries: [id: string, fields: string[] | null][]][] | null;

/** What one step of reading found: an entry to deliver, a signal to give first, or nothing yet. */
type Step =
  | { kind: 'entry'; id: string; entry: LogEntry }
  | { kind: 'gap'; gap: HistoryGap; settle: () => Promise<void> }
  | { kind: 'reset'; reset: HistoryReset }
  | { kind: 'again' };

const AGAIN: Step = { kind: 'again' };
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;
/** A read unanswered this long past its BLOCK time means a dead connection: start over. */
const STALL_GRACE_MS = 5000;

/**
 * A Redis consumer group on the block stream: at-least-once delivery that survives restarts, of
 * blocks and generic events alike, in bus order.
 * Entries are read one at a time, only when the caller asks for the next, so a slow reader never
 * holds more than one unacknowledged entry. After a start or any reconnect it first re-reads its
 * own pending entries (delivered, never acked), then new ones; so a reader that died mid-block
 * gets that block again, in order, before anything newer.
 * What it cannot deliver it says: entries trimmed before they were taken are a {@link HistoryGap};
 * a stream recreated or rolled back under it is a {@link HistoryReset}, after which the group is
 * recreated at the start of the new history, so nothing of that history is skipped.
 */
export class RedisConsumerGroup {
  /** The stream key. */
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly #redis: Redis;
  readonly #options: RedisConsumerGroupOptions;
  readonly #prefix: string;
  readonly #start: GroupStart;
  readonly #blockMs: number;

  constructor(options: RedisConsumerGroupOptions) {
    this.#prefix = options.prefix ?? DEFAULT_STREAM_PREFIX;
    this.key = `${this.#prefix}blocks`;
    this.group = options.group;
    this.consumer = options.consumer;
    this.#redis = options.redis;
    this.#options = options;
    this.#start = options.start ?? 'latest';
    this.#blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
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
      if (!isBusyGroup(error)) throw error;
    }
  }

  /** Entries delivered to this group and not acknowledged yet (every consumer of it). */
  async pendingCount(): Promise<number> {
    const [count] = (await this.#redis.xpending(this.key, this.group)) as [number, ...unknown[]];
    return Number(count);
  }

  /**
   * Pending entries of this consumer, then new ones, until `signal` aborts (the iteration then
   * ends without error). Gaps and resets are given to `onGap`/`onReset` before the entry after
   * them. Call create() first.
   */
  async *deliveries(signal: AbortSignal): AsyncGenerator<GroupDelivery> {
    const { onGap, onReset } = this.#options;
    const reader = new GroupReader(this.#redis, this.#options, {
      keys: { stream: this.key, epoch: `${this.#prefix}epoch` },
      start: this.#start,
      blockMs: this.#blockMs,
      signal,
    });
    try {
      while (!signal.aborted) {
        const step = await reader.next();
        if (step === undefined) return;
        if (step.kind === 'entry') {
          reader.delivered(step.entry);
          yield { id: step.id, entry: step.entry, ack: () => this.#ack(step.id) };
        } else if (step.kind === 'gap') {
          await onGap?.(step.gap);
          reader.settleNext(step.settle);
        } else if (step.kind === 'reset') {
          await onReset?.(step.reset);
        }
      }
    } finally {
      reader.disconnect();
    }
  }

  async #ack(id: string): Promise<void> {
    await this.#redis.xack(this.key, this.group, id);
  }
}

interface ReaderSettings {
  /** The stream and its epoch key, as the log writes them. */
  keys: LogKeys;
  start: GroupStart;
  blockMs: number;
  signal: AbortSignal;
}

/** One deliveries() iteration's reading state: its connection, cursor, epoch and what is yet to be signalled. */
class GroupReader {
  readonly #redis: Redis;
  readonly #options: RedisConsumerGroupOptions;
  readonly #settings: ReaderSettings;
  readonly #key: string;
  #connection: Redis | undefined;
  /** '0' (or the last pending ID) re-reads this consumer's pending entries; '>' reads new ones. */
  #cursor = '0';
  /** Pending entries found trimmed, not yet signalled (acknowledged once they are). */
  #trimmed: string[] = [];
  /** Steps found together with the one returned, handed out next. */
  readonly #queued: Step[] = [];
  /** Accounts for a signalled gap before the next read. */
  #settle: (() => Promise<void>) | undefined;
  #watch = new EpochWatch(undefined);
  #problem: string | undefined;
  #failures = 0;

  constructor(redis: Redis, options: RedisConsumerGroupOptions, settings: ReaderSettings) {
    this.#redis = redis;
    this.#options = options;
    this.#settings = settings;
    this.#key = settings.keys.stream;
  }

  /** The next step worth acting on; undefined once aborted. Read errors are retried with backoff. */
  async next(): Promise<Step | undefined> {
    const { signal } = this.#settings;
    while (!signal.aborted) {
      const queued = this.#queued.shift();
      if (queued !== undefined) return queued;
      try {
        const step = await untilAborted(this.#step(), signal);
        if (step === ABORTED) return undefined;
        this.#failures = 0;
        if (step.kind !== 'again') return step;
      } catch (error) {
        if (signal.aborted) return undefined;
        this.#options.onError?.(error);
        this.#cannotRead(error instanceof Error ? error.message : String(error));
        this.disconnect();
        // Start over from this consumer's pending entries; an unsettled gap is found (and told) again.
        this.#cursor = '0';
        this.#trimmed = [];
        this.#settle = undefined;
        this.#failures++;
        await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.#failures - 1)), signal);
      }
    }
    return undefined;
  }

  delivered(entry: LogEntry): void {
    this.#watch.yielded(entry.height);
  }

  settleNext(settle: () => Promise<void>): void {
    this.#settle = settle;
  }

  disconnect(): void {
    this.#connection?.disconnect();
    this.#connection = undefined;
  }

  async #step(): Promise<Step> {
    let connection = this.#connection;
    if (connection === undefined) {
      connection = this.#connect();
      this.#connection = connection;
      // A new connection may follow a Redis restart, restore or failover: check the history first.
      const change = await this.#checkHistory(connection);
      if (change !== undefined) return change;
    }
    const settle = this.#settle;
    this.#settle = undefined;
    await settle?.();
    try {
      return this.#cursor === '>' ? await this.#readNew(connection) : await this.#readPending(connection);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
      return this.#groupGone(connection);
    }
  }

  async #readPending(connection: Redis): Promise<Step> {
    const { blockMs } = this.#settings;
    const key = this.#key;
    const { group, consumer } = this.#options;
    const read = connection.call(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      'COUNT',
      '1',
      'STREAMS',
      key,
      this.#cursor,
    );
    const reply = await withDeadline(
      read as Promise<XReadGroupReply>,
      blockMs + STALL_GRACE_MS,
      'XREADGROUP',
    );
    this.#reading();
    const entry = reply?.[0]?.[1]?.[0];
    if (entry === undefined) {
      this.#cursor = '>';
      return AGAIN;
    }
    const [id, fields] = entry;
    this.#cursor = id;
    // Trimmed by retention while pending: lost, told with whatever else is lost next to it.
    if (fields === null) {
      this.#trimmed.push(id);
      return AGAIN;
    }
    return this.#deliverable(connection, [id, fields]);
  }

  async #readNew(connection: Redis): Promise<Step> {
    const key = this.#key;
    const read = await withDeadline(
      readNewEntry(connection, key, this.#options.group, this.#options.consumer),
      STALL_GRACE_MS,
      'group read',
    );
    this.#reading();
    if (read.kind === 'gap') return this.#unreadGap(read);
    if (read.kind === 'entry') return this.#deliverable(connection, read.entry);
    if (this.#trimmed.length > 0) return this.#trimmedGap(connection, null);
    // Caught up: wait for an entry after the group's position; a wait that ends empty checks the history.
    if (!(await this.#waitAfter(connection, read.delivered))) {
      return (await this.#checkHistory(connection)) ?? AGAIN;
    }
    return AGAIN;
  }

  async #deliverable(connection: Redis, streamEntry: StreamEntry): Promise<Step> {
    const [id] = streamEntry;
    // Not an entry blockcast wrote: nothing to deliver.
    if (!isKnownEntry(streamEntry)) {
      await this.#redis.xack(this.#key, this.#options.group, id);
      return AGAIN;
    }
    const steps: Step[] = [];
    const epoch = entryEpoch(streamEntry);
    if (!this.#watch.knows(epoch)) {
      // Another history: told first; the entry, pending now, is read again from the group's start.
      const change = await this.#checkHistory(connection);
      if (change !== undefined) return change;
      // Still this epoch: the entry was kept from before a rollback, same history.
      if (epoch !== undefined && epoch !== this.#watch.epoch) this.#watch.acceptAncestor(epoch);
    }
    if (this.#trimmed.length > 0) steps.push(await this.#trimmedGap(connection, id));
    steps.push({ kind: 'entry', id, entry: decodeLogEntry(streamEntry) });
    this.#queued.push(...steps.slice(1));
    return steps[0]!;
  }

  /** Entries trimmed before the group delivered them (and any trimmed pending ones before those). */
  #unreadGap(read: Extract<NewEntryRead, { kind: 'gap' }>): Step {
    const key = this.#key;
    const trimmed = this.#trimmed;
    this.#trimmed = [];
    const resumed = read.oldest === null ? null : positionOfId(read.oldest);
    const after = positionOfId(read.delivered);
    const gap: HistoryGap = {
      from:
        trimmed[0] === undefined ? { height: after.height, seq: after.seq + 1 } : positionOfId(trimmed[0]),
      resumedAt: resumed,
      oldest: resumed,
      lost: read.lost === null ? null : read.lost + trimmed.length,
    };
    const settle = async () => {
      await settleGap(this.#redis, key, this.#options.group, read);
      if (trimmed.length > 0) await this.#redis.xack(key, this.#options.group, ...trimmed);
    };
    return { kind: 'gap', gap, settle };
  }

  /** Pending entries trimmed before they were taken, followed by `resumedAt` (null: nothing yet). */
  async #trimmedGap(connection: Redis, resumedAt: string | null): Promise<Step> {
    const key = this.#key;
    const trimmed = this.#trimmed;
    this.#trimmed = [];
    const [oldest] = (await connection.xrange(key, '-', '+', 'COUNT', 1)) as StreamEntry[];
    const gap: HistoryGap = {
      from: positionOfId(trimmed[0]!),
      resumedAt: resumedAt === null ? null : positionOfId(resumedAt),
      oldest: oldest === undefined ? null : positionOfId(oldest[0]),
      lost: trimmed.length,
    };
    return {
      kind: 'gap',
      gap,
      settle: async () => void (await this.#redis.xack(key, this.#options.group, ...trimmed)),
    };
  }

  /** The stream's epoch and top against what this reader delivered: a reset or rollback step, or undefined. */
  async #checkHistory(connection: Redis): Promise<Step | undefined> {
    const state = await withDeadline(
      readLogState(connection, this.#settings.keys),
      STALL_GRACE_MS,
      'log state read',
    );
    const previousEpoch = this.#watch.epoch;
    const verdict = this.#watch.judge(state);
    if (verdict.kind === 'same') return undefined;
    if (verdict.kind === 'reset') return this.#recreate(connection, previousEpoch);
    // Rolled back under the group: the first reader to see it starts a new epoch, as tails do.
    const after = await withDeadline(
      switchEpoch(connection, this.#settings.keys, verdict.epoch, newEpoch()),
      STALL_GRACE_MS,
      'epoch switch',
    );
    await this.#createGroup(connection, '0');
    this.#newHistory(after.epoch);
    return { kind: 'reset', reset: { cause: 'rollback', previousEpoch, epoch: after.epoch } };
  }

  /** NOGROUP: the stream was recreated or rolled back, or the group deleted by hand. */
  async #groupGone(connection: Redis): Promise<Step> {
    if ((await connection.exists(this.#key)) === 0) {
      return this.#recreate(connection, this.#watch.epoch);
    }
    const change = await this.#checkHistory(connection);
    if (change !== undefined) return change;
    // The same history: someone deleted the group (XGROUP DESTROY); it starts again as a new one does.
    const { start } = this.#settings;
    await this.#createGroup(connection, start === 'first' ? '0' : '$');
    this.#options.onError?.(
      new Error(`consumer group ${this.#options.group} was deleted; created again at its start (${start})`),
    );
    this.#cursor = '0';
    return AGAIN;
  }

  /** A new stream: waits until it exists, then reads it from its first entry with a group created there. */
  async #recreate(connection: Redis, previousEpoch: string | null): Promise<Step> {
    const { blockMs } = this.#settings;
    const key = this.#key;
    while ((await connection.exists(key)) === 0) {
      this.#cannotRead(`the bus was reset: waiting for the stream ${key} to be recreated`);
      const wait = connection.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', key, '0-0');
      await withDeadline(wait, blockMs + STALL_GRACE_MS, 'stream wait');
    }
    const state = await withDeadline(
      readLogState(connection, this.#settings.keys),
      STALL_GRACE_MS,
      'log state read',
    );
    // A group that is still there came back with the stream (an older snapshot whose rollback a
    // gateway told first): delivery goes on from where it stands, as after a rollback.
    const created = await this.#createGroup(connection, '0');
    this.#newHistory(state.epoch);
    const cause = created ? 'reset' : 'rollback';
    return { kind: 'reset', reset: { cause, previousEpoch, epoch: state.epoch } };
  }

  #newHistory(epoch: string | null): void {
    this.#watch = new EpochWatch(epoch ?? undefined);
    this.#cursor = '0';
    this.#trimmed = [];
    this.#queued.length = 0;
  }

  /** XGROUP CREATE without MKSTREAM (a stream made here would take the stale epoch key); false when the group exists (it stays). */
  async #createGroup(connection: Redis, from: '0' | '$'): Promise<boolean> {
    try {
      await connection.xgroup('CREATE', this.#key, this.#options.group, from);
      return true;
    } catch (error) {
      if (!isBusyGroup(error)) throw error;
      return false;
    }
  }

  /** True when an entry after `delivered` arrived within the block time. */
  async #waitAfter(connection: Redis, delivered: string): Promise<boolean> {
    const { blockMs } = this.#settings;
    const key = this.#key;
    const wait = connection.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', key, delivered);
    return (await withDeadline(wait, blockMs + STALL_GRACE_MS, 'group wait')) !== null;
  }

  #reading(): void {
    if (this.#problem === undefined) return;
    this.#problem = undefined;
    this.#options.onReadable?.(undefined);
  }

  #cannotRead(problem: string): void {
    if (this.#problem === problem) return;
    this.#problem = problem;
    this.#options.onReadable?.(problem);
  }

  #connect(): Redis {
    const connection = this.#redis.duplicate({
      // Wait through reconnects instead of failing the read; the loop starts over from pending anyway.
      maxRetriesPerRequest: null,
      connectionName: `blockcast:group:${this.#options.group}`,
      lazyConnect: false,
    });
    connection.on('error', (error: Error) => {
      this.#options.onError?.(error);
      this.#cannotRead(error.message);
    });
    return connection;
  }
}

function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('BUSYGROUP');
}
