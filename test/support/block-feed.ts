/**
 * Blocks at a steady pace through ingest, as a chain node commits them: one every `intervalMs`,
 * each posted once its predecessor was answered 201. Every posted block is kept, so a test can
 * derive what each client must have received.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ChainNode } from '@blockcast/demo-chain';
import { makeBlock, waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';

export interface BlockFeedOptions {
  post(block: CommittedBlock): Promise<Response>;
  /** Height of the first block. */
  firstHeight: number;
  intervalMs: number;
}

export class BlockFeed {
  readonly posted: CommittedBlock[] = [];
  readonly #options: BlockFeedOptions;
  readonly #node: ChainNode;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(options: BlockFeedOptions) {
    this.#options = options;
    this.#node = new ChainNode({
      post: options.post,
      blockAt: BlockFeed.blockAt,
      firstHeight: options.firstHeight,
      // Strict: a feed of a fresh log expects every block created, first time.
      onAnswer: (block, answer) => {
        if (answer.status !== 201)
          throw new Error(`block ${block.height}: ingest answered ${answer.status} ${answer.text}`);
      },
    });
  }

  /** Varied like a live chain: 0–4 transactions, now and then rejected ones, some empty blocks. */
  static blockAt(height: number): CommittedBlock {
    return makeBlock(height, height % 5, { rejected: height % 7 === 3 ? 1 : 0 });
  }

  /** Posts one block at the next height now; throws unless ingest answers 201. */
  async postNext(): Promise<CommittedBlock> {
    const { block } = (await this.#node.commitNext())!;
    this.posted.push(block);
    return block;
  }

  start(): void {
    this.#running ??= (async () => {
      while (!this.#stopping) {
        const started = Date.now();
        await this.postNext();
        await delay(Math.max(0, this.#options.intervalMs - (Date.now() - started)));
      }
    })();
    // Reported by stop(); without a handler here a failed post would crash the test process first.
    this.#running.catch(() => {});
  }

  /** Resolves once `count` more blocks have been posted: a phase of a running feed, counted in blocks. */
  async postedMore(count: number, timeoutMs = 30_000): Promise<void> {
    const target = this.posted.length + count;
    await waitUntil(() => this.posted.length >= target, timeoutMs, `${target} blocks posted`);
  }

  /** Stops after the block in flight; rejects if any post failed. */
  async stop(): Promise<CommittedBlock[]> {
    this.#stopping = true;
    await this.#running;
    return this.posted;
  }
}
