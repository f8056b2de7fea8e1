import { DEFAULT_STREAM_PREFIX, withDeadline } from '@blockcast/common';
import type { LogEntry, Position } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { type NewEntryRead, readNewEntry, settleGap } from './group-read-script.js';
import type { LogKeys } from './log-state.js';
import { decodeLogEntry, entryEpoch, positionOfId, type StreamEntry } from './stream-entry.js';
import { blockMsOf, type HistoryChange, STALL_GRACE_MS, StreamReader } from './stream-reader.js';

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

/**
 * A Redis consumer group on the block stream: at-least-once delivery that survives restarts, of
 * blocks and generic events alike, in bus order.
 * Entries are read one at a time, only when the caller asks for the next, so a slow reader never
 * holds more than one unacknowledged entry. After a start or any reconnect it first re-reads its
 * own pending entries (delivered, never acked), then new ones; so a reader that died mid-block
 * gets that block again, in order, before anything newer.
 * What it cannot deliver it says: entries trimmed before they were taken are a {@link HistoryGap};
 * a stream recreated or rolled back under it is a {@link HistoryReset}, after which the group is
 * recreated at the start of the new history, so nothing of that history is skipped. It judges
 * history as the entry tail does (stream-reader.ts): a new entry that does not follow the one
 * delivered last, because a restore lost that one and new entries were written under its ID, is
 * a rollback; one whose predecessor was trimmed is a gap. Entries blockcast did not write are
 * acknowledged and skipped.
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
    this.#blockMs = blockMsOf(options.blockMs);
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
  readonly #reader: StreamReader;
  /** '0' (or the last pending ID) re-reads this consumer's pending entries; '>' reads new ones. */
  #cursor = '0';
  /** Pending entries found trimmed, not yet signalled (acknowledged once they are). */
  #trimmed: string[] = [];
  /** Steps found together with the one returned, handed out next. */
  readonly #queued: Step[] = [];
  /** Accounts for a signalled gap before the next read. */
  #settle: (() => Promise<void>) | undefined;
  #problem: string | undefined;

  constructor(redis: Redis, options: RedisConsumerGroupOptions, settings: ReaderSettings) {
    this.#redis = redis;
    this.#options = options;
    this.#settings = settings;
    this.#key = settings.keys.stream;
    this.#reader = new StreamReader({
      connect: () => this.#connect(),
      keys: settings.keys,
      epoch: undefined,
      signal: settings.signal,
      onError: (error) => {
        this.#options.onError?.(error);
        this.#cannotRead(error instanceof Error ? error.message : String(error));
      },
    });
  }

  /** The next step worth acting on; undefined once aborted. Read errors are retried with backoff. */
  async next(): Promise<Step | undefined> {
    while (!this.#settings.signal.aborted) {
      const queued = this.#queued.shift();
      if (queued !== undefined) return queued;
      const step = await this.#reader.read(
        (connection, fresh) => this.#step(connection, fresh),
        // Start over from this consumer's pending entries; an unsettled gap is found (and told) again.
        () => {
          this.#cursor = '0';
          this.#trimmed = [];
          this.#settle = undefined;
        },
      );
      if (step === undefined) return undefined;
      if (step.kind !== 'again') return step;
    }
    return undefined;
  }

  settleNext(settle: () => Promise<void>): void {
    this.#settle = settle;
  }

  disconnect(): void {
    this.#reader.disconnect();
  }

  async #step(connection: Redis, fresh: boolean): Promise<Step> {
    if (fresh) {
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
    return this.#deliverable(connection, [id, fields], 'pending');
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
    if (read.kind === 'entry') return this.#deliverable(connection, read.entry, 'new');
    if (this.#trimmed.length > 0) return this.#trimmedGap(connection, null);
    // Caught up: wait for an entry after the group's position; a wait that ends empty checks the history.
    if (!(await this.#waitAfter(connection, read.delivered))) {
      return (await this.#checkHistory(connection)) ?? AGAIN;
    }
    return AGAIN;
  }

  /**
   * A new entry is judged against the one delivered before it; a pending one, delivered before
   * already, only by its epoch. A changed history is told first: the entry, pending now, is read
   * again from the group's start.
   */
  async #deliverable(connection: Redis, streamEntry: StreamEntry, read: 'pending' | 'new'): Promise<Step> {
    const [id] = streamEntry;
    const entry = decodeLogEntry(streamEntry);
    if (entry === undefined) {
      await this.#redis.xack(this.#key, this.#options.group, id);
      return AGAIN;
    }
    const watch = this.#reader.watch;
    if (read === 'new' || !watch.knows(entryEpoch(streamEntry))) {
      const previousEpoch = watch.epoch;
      const change = await this.#changed(
        connection,
        previousEpoch,
        await this.#reader.check(connection, streamEntry),
      );
      if (change !== undefined) return change;
    }
    if (read === 'new') this.#reader.took(streamEntry);
    else watch.yielded(positionOfId(id));
    const steps: Step[] = [];
    if (this.#trimmed.length > 0) steps.push(await this.#trimmedGap(connection, id));
    steps.push({ kind: 'entry', id, entry });
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
    const previousEpoch = this.#reader.watch.epoch;
    const state = await this.#reader.readState(connection);
    return this.#changed(connection, previousEpoch, await this.#reader.judge(connection, state));
  }

  /** A changed history as a step: a reset waits for the new stream; a rollback (its epoch started) goes on from the group's start. */
  async #changed(
    connection: Redis,
    previousEpoch: string | null,
    change: HistoryChange | undefined,
  ): Promise<Step | undefined> {
    if (change === undefined) return undefined;
    if (change.cause === 'reset') return this.#recreate(connection, previousEpoch);
    const { epoch } = change.state;
    await this.#createGroup(connection, '0');
    this.#newHistory(epoch);
    return { kind: 'reset', reset: { cause: 'rollback', previousEpoch, epoch } };
  }

  /** NOGROUP: the stream was recreated or rolled back, or the group deleted by hand. */
  async #groupGone(connection: Redis): Promise<Step> {
    if ((await connection.exists(this.#key)) === 0) {
      return this.#recreate(connection, this.#reader.watch.epoch);
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
    const state = await this.#reader.readState(connection);
    // A group that is still there came back with the stream (an older snapshot whose rollback a
    // gateway told first): delivery goes on from where it stands, as after a rollback.
    const created = await this.#createGroup(connection, '0');
    this.#newHistory(state.epoch);
    const cause = created ? 'reset' : 'rollback';
    return { kind: 'reset', reset: { cause, previousEpoch, epoch: state.epoch } };
  }

  #newHistory(epoch: string | null): void {
    this.#reader.startOver(epoch ?? undefined);
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
