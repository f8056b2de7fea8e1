import {
  comparePositions,
  entryPosition,
  firstAfter,
  isNextOnBus,
  type LogEntry,
  type Position,
} from '@blockcast/protocol';

export interface RingLimits {
  /** Most blocks kept (the generic events between them do not count here). */
  blocks: number;
  /** Most bytes kept (blocks, generic events and the frames cached with them), approximately. */
  bytes: number;
}

/** An entry the ring holds; `push` hands it back so its frames are built without searching for it. */
export interface HeldEntry {
  entry: LogEntry;
  position: Position;
  bytes: number;
  /** Frames already built for this entry, by subscription key: built once, sent to many. */
  frames: Map<string, readonly string[]>;
}

/** An entry at hand, with the frames of one key. */
export interface EntryFrames {
  position: Position;
  frames: readonly string[];
}

/**
 * The recent entries a gateway has published — blocks contiguous by height, with the generic
 * events emitted between them in bus order — so resuming and catching-up sockets are fed from
 * memory: a reconnect storm reads the ring, not Redis. The memory half of `History`.
 */
export class EntryRing {
  readonly #limits: RingLimits;
  #entries: HeldEntry[] = [];
  #head = 0;
  #bytes = 0;
  #blocks = 0;
  /** The last entry evicted: the ring holds every entry after it (undefined: nothing evicted since it started). */
  #floor: Position | undefined;

  constructor(limits: RingLimits) {
    this.#limits = limits;
  }

  /** Oldest block height held, undefined when no block is. */
  get oldest(): number | undefined {
    for (let i = this.#head; i < this.#entries.length; i += 1) {
      const { entry } = this.#entries[i]!;
      if (entry.kind === 'block') return entry.height;
    }
    return undefined;
  }

  /** Newest block height held. */
  get newest(): number | undefined {
    for (let i = this.#entries.length - 1; i >= this.#head; i -= 1) {
      const { entry } = this.#entries[i]!;
      if (entry.kind === 'block') return entry.height;
    }
    return undefined;
  }

  /** Blocks held. */
  get size(): number {
    return this.#blocks;
  }

  /** Entries held, blocks and generic events. */
  get entries(): number {
    return this.#entries.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends the next entry; one that does not follow the newest in bus order starts the ring over. */
  push(entry: LogEntry): HeldEntry {
    const position = entryPosition(entry);
    const last = this.#entries.at(-1);
    if (last !== undefined && this.#entries.length > this.#head && !isNextOnBus(last.position, position))
      this.clear();
    const held: HeldEntry = { entry, position, bytes: estimateBytes(entry), frames: new Map() };
    this.#entries.push(held);
    this.#bytes += held.bytes;
    if (entry.kind === 'block') this.#blocks += 1;
    this.#evict();
    return held;
  }

  /** True when the ring holds every entry after `cursor` (up to the newest). */
  covers(cursor: Position): boolean {
    const oldest = this.#entries[this.#head];
    if (oldest === undefined) return false;
    if (comparePositions(cursor, oldest.position) >= 0) return true;
    return this.#floor !== undefined && comparePositions(cursor, this.#floor) >= 0;
  }

  /**
   * The entry that follows `cursor` on the bus, with the frames of `key`, when the ring can say
   * which that is; undefined when it does not cover `cursor` or holds nothing after it.
   */
  after(
    cursor: Position,
    key: string,
    build: (entry: LogEntry) => readonly string[],
  ): EntryFrames | undefined {
    if (!this.covers(cursor)) return undefined;
    const index = this.#firstAfter(cursor);
    if (index === this.#entries.length) return undefined;
    const found = this.#entries[index]!;
    return { position: found.position, frames: this.framesOf(found, key, build) };
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#blocks = 0;
    this.#floor = undefined;
  }

  /** The frames of `key` for an entry pushed here, built by `build` the first time they are asked for. */
  framesOf<E extends LogEntry>(
    found: HeldEntry,
    key: string,
    build: (entry: E) => readonly string[],
  ): readonly string[] {
    let frames = found.frames.get(key);
    if (frames === undefined) {
      frames = build(found.entry as E);
      found.frames.set(key, frames);
      const bytes = frames.reduce((sum, frame) => sum + frame.length, 64);
      found.bytes += bytes;
      this.#bytes += bytes;
      this.#evict();
    }
    return frames;
  }

  /** Index of the first entry after `cursor` (binary search; the end when there is none). */
  #firstAfter(cursor: Position): number {
    return firstAfter(this.#entries, cursor, (held) => held.position, this.#head);
  }

  #evict(): void {
    // The newest entry always stays: it is what live sockets were last sent.
    while (this.entries > 1) {
      const oldest = this.#entries[this.#head]!;
      const over = this.#blocks > this.#limits.blocks || this.#bytes > this.#limits.bytes;
      // A block's generic events leave with it, as the log trims them.
      const orphan = oldest.entry.kind === 'event' && oldest.position.height === this.#floor?.height;
      if (!over && !orphan) break;
      this.#bytes -= oldest.bytes;
      if (oldest.entry.kind === 'block') this.#blocks -= 1;
      this.#floor = oldest.position;
      this.#entries[this.#head] = undefined as unknown as HeldEntry;
      this.#head += 1;
    }
    // Dropping dead slots only when they are the majority keeps push amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Roughly what an entry holds in memory: a block's ids and keys dominate, an event's content. */
function estimateBytes(entry: LogEntry): number {
  if (entry.kind === 'event') return 200 + (JSON.stringify(entry.content)?.length ?? 0);
  let bytes = 200 + (entry.hash?.length ?? 0);
  for (const tx of [...entry.transactions, ...entry.rejected]) {
    bytes += 120 + tx.id.length + tx.operation.length;
    for (const id of tx.assetIds) bytes += 40 + id.length;
    for (const key of tx.publicKeys) bytes += 40 + key.length;
  }
  return bytes;
}
