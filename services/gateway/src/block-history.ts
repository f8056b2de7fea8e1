import type { EventLog } from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';
import type { BlockRing } from './block-ring.js';

export interface BlockHistoryOptions {
  ring: BlockRing;
  log: Pick<EventLog, 'read'>;
  /** Blocks per Redis read; batches start at multiples of it, so sockets near each other share reads. */
  batchBlocks: number;
  /** Batches kept after they were read. */
  cachedBatches: number;
  onRead(blocks: number): void;
}

interface Batch {
  blocks: Promise<BlockEvent[]>;
  /** The blocks once the read has finished, for synchronous access. */
  settled: BlockEvent[] | undefined;
  frames: Map<string, readonly string[]>;
}

/**
 * Blocks older than the ring, read from the event log in aligned batches: concurrent readers of
 * the same range share one XRANGE, and recent batches are kept, so the number of Redis reads grows
 * with the blocks replayed, not with the sockets replaying them.
 */
export class BlockHistory {
  readonly #options: BlockHistoryOptions;
  /** Insertion-ordered: the first key is the least recently read. */
  readonly #batches = new Map<number, Batch>();

  constructor(options: BlockHistoryOptions) {
    this.#options = options;
  }

  /** The frames of `key` for `height` when that block is at hand (ring or a loaded batch), else undefined. */
  framesAtHand(height: number, key: string, build: (block: BlockEvent) => readonly string[]) {
    const fromRing = this.#options.ring.frames(height, key, build);
    if (fromRing !== undefined) return { frames: fromRing, source: 'ring' as const };
    const batch = this.#batches.get(this.#batchStart(height));
    const block = batch?.settled?.find((candidate) => candidate.height === height);
    if (batch === undefined || block === undefined) return undefined;
    const cacheKey = `${height}|${key}`;
    let frames = batch.frames.get(cacheKey);
    if (frames === undefined) {
      frames = build(block);
      batch.frames.set(cacheKey, frames);
    }
    return { frames, source: 'log' as const };
  }

  /** Reads the batch holding `height` (once, however many ask); resolves with its blocks. */
  load(height: number): Promise<BlockEvent[]> {
    const start = this.#batchStart(height);
    const existing = this.#batches.get(start);
    if (existing) {
      this.#batches.delete(start);
      this.#batches.set(start, existing);
      return existing.blocks;
    }
    const batch: Batch = { blocks: Promise.resolve([]), settled: undefined, frames: new Map() };
    batch.blocks = this.#options.log.read(start, this.#options.batchBlocks).then((read) => {
      batch.settled = read;
      this.#options.onRead(read.length);
      return read;
    });
    const { blocks } = batch;
    // A failed read is forgotten, so the next reader tries again.
    blocks.catch(() => this.#batches.get(start) === batch && this.#batches.delete(start));
    this.#batches.set(start, batch);
    while (this.#batches.size > this.#options.cachedBatches) {
      this.#batches.delete(this.#batches.keys().next().value!);
    }
    return blocks;
  }

  /** After a reset the old history is another chain's. */
  clear(): void {
    this.#batches.clear();
  }

  #batchStart(height: number): number {
    const size = this.#options.batchBlocks;
    return Math.floor((height - 1) / size) * size + 1;
  }
}
