import { AppendRefusedError, type AppendResult, type EventLog } from '@blockcast/event-log';
import type { BlockEvent } from '@blockcast/protocol';

/**
 * Appends in the order the handler hands blocks over (the arrival order of complete requests; on
 * one connection, the send order), pipelined: each append is issued at once, without waiting for
 * the answer to the previous one, and the answers are handed back in the same order.
 *
 * Why this answers exactly what one-at-a-time appends would: the log decides on its side, in the
 * order the appends reach it (RedisStreamLog: one Lua script per append on one ioredis connection,
 * which keeps command order; MemoryLog: at the call). So a pipelining sender of h, h+1, h+2 never
 * sees h+1 refused as a gap merely because h was still on its way, and a gap, duplicate or
 * conflict is the answer a serial append would have given. Two guards keep that true when the
 * log's order could differ from the hand-over order:
 * - Blocks are always issued in hand-over order. Only a block whose height follows the previous
 *   one's is issued before the earlier answers are in, and only once the log is known to hold
 *   blocks (until then the queue cannot know which height the log takes first).
 *   Anything else (the first blocks, a resend, a height going back, a jump) waits until every
 *   earlier append has answered; blocks handed over behind it follow it as soon as it is issued.
 *   So the blocks in flight always have contiguous rising heights, and running them out of order
 *   can only turn an append into a gap.
 * - A HEIGHT_GAP answer to a block issued while earlier ones were unanswered is asked again once
 *   they have answered. A pipelined gap normally means an earlier block was refused, and the
 *   second answer is the same; but if the log ran them out of order (RedisStreamLog re-sends a
 *   script as EVAL after NOSCRIPT, e.g. after a failover, and another client may load it in
 *   between), the second answer is the serial one. A gap writes nothing, so asking again is safe.
 *   (In that out-of-order case alone, the expected_height of a conflict in the same flight may
 *   already count a later block of it.)
 * A failed append does not stop the queue: the next block gets its own, truthful answer.
 */
export class AppendQueue {
  readonly #log: Pick<EventLog, 'append'>;
  /** Settles (never rejects) once every append handed over so far has answered. */
  #answered: Promise<unknown> = Promise.resolve();
  /** Settles once the last append that had to wait has been issued. */
  #issued: Promise<unknown> = Promise.resolve();
  /** Appends handed over but not issued yet: while there are any, the next one queues behind them. */
  #unissued = 0;
  #depth = 0;
  #lastHeight: number | undefined;
  /** An append has been answered, so the log holds blocks (it is never emptied in operation). */
  #logHoldsBlocks = false;

  constructor(log: Pick<EventLog, 'append'>) {
    this.#log = log;
  }

  /** Appends queued or in flight. */
  get depth(): number {
    return this.#depth;
  }

  append(block: BlockEvent): Promise<AppendResult> {
    const earlier = this.#answered;
    const idle = this.#depth === 0;
    const early =
      !idle &&
      this.#logHoldsBlocks &&
      this.#lastHeight !== undefined &&
      block.height === this.#lastHeight + 1;
    this.#depth += 1;
    this.#lastHeight = block.height;

    let answer: Promise<AppendResult>;
    if ((idle || early) && this.#unissued === 0) {
      answer = this.#issue(block);
    } else {
      // Early: right behind the earlier blocks still waiting to be issued. Otherwise: once every
      // earlier append has answered (and so has been issued).
      this.#unissued += 1;
      let issuedAppend: Promise<AppendResult> | undefined;
      const issued = (early ? this.#issued : earlier).then(() => {
        this.#unissued -= 1;
        issuedAppend = this.#issue(block);
      });
      this.#issued = issued;
      answer = issued.then(() => issuedAppend!);
    }
    if (early) answer = answer.catch((error: unknown) => this.#askAgainAfterGap(error, block, earlier));

    // Answers leave in hand-over order, even when the log answers a later one first.
    const ordered = answer.then(
      async (result) => {
        this.#logHoldsBlocks = true;
        await earlier;
        return result;
      },
      async (error: unknown) => {
        if (error instanceof AppendRefusedError) this.#logHoldsBlocks = true;
        await earlier;
        throw error;
      },
    );
    this.#answered = ordered.then(
      () => this.#settled(),
      () => this.#settled(),
    );
    return ordered;
  }

  /** Resolves once every append handed over so far has settled. */
  async drain(): Promise<void> {
    await this.#answered;
  }

  /** Calls the log now; a synchronous throw becomes a rejection like any other failure. */
  #issue(block: BlockEvent): Promise<AppendResult> {
    try {
      return this.#log.append(block);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #askAgainAfterGap(
    error: unknown,
    block: BlockEvent,
    earlier: Promise<unknown>,
  ): Promise<AppendResult> {
    if (!(error instanceof AppendRefusedError && error.code === 'HEIGHT_GAP')) throw error;
    await earlier;
    return this.#log.append(block);
  }

  #settled(): void {
    this.#depth -= 1;
    if (this.#depth === 0) this.#lastHeight = undefined;
  }
}
