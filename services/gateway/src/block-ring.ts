import type { BlockEvent } from '@blockcast/protocol';

export interface RingLimits {
  /** Most blocks kept. */
  blocks: number;
  /** Most bytes kept (blocks plus the frames cached with them), approximately. */
  bytes: number;
}

interface RingEntry {
  block: BlockEvent;
  bytes: number;
  /** Frames already built for this block, by subscription key: built once, sent to many. */
  frames: Map<string, readonly string[]>;
}

/**
 * The recent blocks a gateway has published, contiguous by height, so resuming and catching-up
 * sockets are fed from memory: a reconnect storm reads the ring, not Redis.
 */
export class BlockRing {
  readonly #limits: RingLimits;
  #entries: RingEntry[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limits: RingLimits) {
    this.#limits = limits;
  }

  /** Oldest height held, undefined when empty. */
  get oldest(): number | undefined {
    return this.#entries[this.#head]?.block.height;
  }

  get newest(): number | undefined {
    return this.#entries.at(-1)?.block.height;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends the next block; a block that does not follow the newest starts the ring over. */
  push(block: BlockEvent): void {
    const newest = this.newest;
    if (newest !== undefined && block.height !== newest + 1) this.clear();
    const bytes = estimateBytes(block);
    this.#entries.push({ block, bytes, frames: new Map() });
    this.#bytes += bytes;
    this.#evict();
  }

  get(height: number): BlockEvent | undefined {
    return this.#entry(height)?.block;
  }

  /** The frames of `key` for a block in the ring, built by `build` the first time they are asked for. */
  frames(
    height: number,
    key: string,
    build: (block: BlockEvent) => readonly string[],
  ): readonly string[] | undefined {
    const entry = this.#entry(height);
    if (entry === undefined) return undefined;
    let frames = entry.frames.get(key);
    if (frames === undefined) {
      frames = build(entry.block);
      entry.frames.set(key, frames);
      const bytes = frames.reduce((sum, frame) => sum + frame.length, 64);
      entry.bytes += bytes;
      this.#bytes += bytes;
      this.#evict();
    }
    return frames;
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #entry(height: number): RingEntry | undefined {
    const oldest = this.oldest;
    if (oldest === undefined || height < oldest) return undefined;
    return this.#entries[this.#head + (height - oldest)];
  }

  #evict(): void {
    // The newest block always stays: it is what live sockets were last sent.
    while (this.size > 1 && (this.size > this.#limits.blocks || this.#bytes > this.#limits.bytes)) {
      const entry = this.#entries[this.#head]!;
      this.#bytes -= entry.bytes;
      this.#entries[this.#head] = undefined as unknown as RingEntry;
      this.#head += 1;
    }
    // Dropping dead slots only when they are the majority keeps push amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Roughly what a block holds in memory: its ids and keys dominate. */
function estimateBytes(block: BlockEvent): number {
  let bytes = 200 + (block.hash?.length ?? 0);
  for (const tx of [...block.transactions, ...block.rejected]) {
    bytes += 120 + tx.id.length + tx.operation.length;
    for (const id of tx.assetIds) bytes += 40 + id.length;
    for (const key of tx.publicKeys) bytes += 40 + key.length;
  }
  return bytes;
}
