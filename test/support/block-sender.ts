/**
 * A chain node's sender for the fault scenarios: posts one block at a time to a real ingest at a
 * steady rate, as a node would at COMMIT. A 503, a timeout or a refused connection is retried with
 * the same block; a 409 naming an expected height (HEIGHT_GAP: the log lost blocks in a restore or
 * an empty restart) rewinds to it and sends the same blocks again; a conflict stops the sender.
 * The chain is the source of truth.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type BlockAnswer, ChainNode } from '@blockcast/demo-chain';
import { makeBlock } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';

export interface BlockSenderOptions {
  ingestUrl: string;
  token: string;
  /** Blocks per second while nothing fails (default 20). */
  rate?: number;
  /** A POST unanswered this long is abandoned and sent again (default 2000 ms). */
  requestTimeoutMs?: number;
}

/** What the sender met, for the scenario's figures. */
export interface SenderCounts {
  created: number;
  duplicate: number;
  retried: number;
  rewound: number;
  /** Longest time one block took from its first POST to its acknowledgement. */
  longestWaitMs: number;
}

export class BlockSender {
  /** Every block of the chain by height, made on first send and never changed. */
  readonly chain = new Map<number, CommittedBlock>();
  readonly counts: SenderCounts = { created: 0, duplicate: 0, retried: 0, rewound: 0, longestWaitMs: 0 };
  readonly #node: ChainNode;
  readonly #rate: number;
  /** When the block in flight was first sent. */
  #firstTry: { height: number; at: number } | undefined;
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  #failure: unknown;

  constructor(options: BlockSenderOptions) {
    this.#rate = options.rate ?? 20;
    this.#node = new ChainNode({
      ingestUrl: options.ingestUrl,
      token: options.token,
      blockAt: (height) => this.blockAt(height),
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      retryMs: 100,
      onAnswer: (block, answer) => this.#count(block, answer),
    });
  }

  /** Highest height ingest acknowledged so far (after a rewind, it can go down). */
  get acknowledged(): number {
    return this.#node.acknowledged;
  }

  /** Starts sending from the next height; after stop(), starts again from there. */
  start(): void {
    this.#stop = new AbortController();
    this.#running = this.#loop(this.#stop.signal);
  }

  /** Stops after the block in flight; resolves with the last height acknowledged, or throws what stopped it. */
  async stop(): Promise<number> {
    this.#stop.abort();
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure;
    return this.#node.acknowledged;
  }

  blockAt(height: number): CommittedBlock {
    let block = this.chain.get(height);
    if (block === undefined) {
      // One to three transactions: every block produces a frame on every stream the clients read.
      block = makeBlock(height, 1 + (height % 3));
      this.chain.set(height, block);
    }
    return block;
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const interval = 1000 / this.#rate;
    try {
      while (!signal.aborted) {
        const started = Date.now();
        await this.#node.commitNext(signal);
        await delay(Math.max(0, interval - (Date.now() - started)));
      }
    } catch (error) {
      this.#failure = error;
    }
  }

  #count(block: CommittedBlock, { status, code, expectedHeight }: BlockAnswer): void {
    const now = Date.now();
    if (this.#firstTry?.height !== block.height) this.#firstTry = { height: block.height, at: now };
    if (status === 201 || status === 200) {
      if (status === 201) this.counts.created += 1;
      else this.counts.duplicate += 1;
      this.counts.longestWaitMs = Math.max(this.counts.longestWaitMs, now - this.#firstTry.at);
    } else if (status === 409 && code !== 'HEIGHT_CONFLICT' && expectedHeight !== undefined) {
      this.counts.rewound += 1;
    } else if (status === 503 || status === 0) this.counts.retried += 1;
  }
}
