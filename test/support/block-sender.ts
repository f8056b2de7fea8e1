/**
 * A chain node's sender for the fault scenarios: posts one block at a time to a real ingest at a
 * steady rate, as a node would at COMMIT. A 503, a timeout or a refused connection is retried with
 * the same block; a 409 naming an expected height (HEIGHT_GAP: the log lost blocks in a restore or
 * an empty restart) rewinds to it and sends the same blocks again; a conflict stops the sender.
 * The chain is the source of truth.
 */
import { setTimeout as delay } from 'node:timers/promises';
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
  /** The next height to send. */
  #next = 1;
  /** Highest height ingest acknowledged. */
  #acknowledged = 0;
  #stopped = false;
  #running: Promise<void> | undefined;
  #failure: unknown;
  readonly #options: Required<BlockSenderOptions>;

  constructor(options: BlockSenderOptions) {
    this.#options = { rate: 20, requestTimeoutMs: 2000, ...options };
  }

  /** Highest height ingest acknowledged so far (after a rewind, it can go down). */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  /** Starts sending from the next height; after stop(), starts again from there. */
  start(): void {
    this.#stopped = false;
    this.#running = this.#loop();
  }

  /** Stops after the block in flight; resolves with the last height acknowledged, or throws what stopped it. */
  async stop(): Promise<number> {
    this.#stopped = true;
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure;
    return this.#acknowledged;
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

  async #loop(): Promise<void> {
    const interval = 1000 / this.#options.rate;
    try {
      while (!this.#stopped) {
        const started = Date.now();
        await this.#send(this.blockAt(this.#next));
        await delay(Math.max(0, interval - (Date.now() - started)));
      }
    } catch (error) {
      this.#failure = error;
    }
  }

  /** Sends one block until ingest acknowledges it or names another height to send. */
  async #send(block: CommittedBlock): Promise<void> {
    const firstTry = Date.now();
    while (!this.#stopped) {
      const answer = await this.#post(block);
      if (answer.status === 201 || answer.status === 200) {
        if (answer.status === 201) this.counts.created += 1;
        else this.counts.duplicate += 1;
        this.#acknowledged = block.height;
        this.#next = block.height + 1;
        this.counts.longestWaitMs = Math.max(this.counts.longestWaitMs, Date.now() - firstTry);
        return;
      }
      // A gap (or a first height the log will not take): send from where ingest says the log stands.
      if (answer.status === 409 && answer.code !== 'HEIGHT_CONFLICT' && answer.expectedHeight !== undefined) {
        this.counts.rewound += 1;
        this.#next = answer.expectedHeight;
        this.#acknowledged = answer.expectedHeight - 1;
        return;
      }
      if (answer.status !== 503 && answer.status !== 0)
        throw new Error(`ingest refused block ${block.height}: ${answer.status} ${answer.text}`);
      this.counts.retried += 1;
      await delay(100);
    }
  }

  async #post(
    block: CommittedBlock,
  ): Promise<{ status: number; code?: string; expectedHeight?: number; text: string }> {
    try {
      const response = await fetch(`${this.#options.ingestUrl}/api/v1/blocks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.token}` },
        body: JSON.stringify(block),
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
      const text = await response.text();
      const body = safeJson(text);
      return {
        status: response.status,
        text,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
        ...(typeof body.expected_height === 'number' ? { expectedHeight: body.expected_height } : {}),
      };
    } catch (error) {
      // Refused, reset or timed out: nothing is known about the append, so the same block goes again.
      return { status: 0, text: String(error) };
    }
  }
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
