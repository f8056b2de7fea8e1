import type { AppendResult, EventLog } from '@blockcast/bus';
import type { BlockEvent } from '@blockcast/protocol';

/**
 * Appends one block at a time, in the order the handler hands them over.
 *
 * Why: a sender that pipelines (or posts concurrently) heights h, h+1, h+2 must not see h+1
 * refused as a gap merely because h was still on its way to Redis. Each append starts when the
 * previous one has settled, so the log's contiguity check always sees every earlier block; the
 * handler order is the arrival order of complete requests (on one connection, the send order).
 * A failed append does not stop the queue: the next block then gets its own, truthful answer.
 */
export class AppendQueue {
  readonly #log: Pick<EventLog, 'append'>;
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;

  constructor(log: Pick<EventLog, 'append'>) {
    this.#log = log;
  }

  /** Appends queued or in flight. */
  get depth(): number {
    return this.#depth;
  }

  append(block: BlockEvent): Promise<AppendResult> {
    this.#depth += 1;
    const result = this.#tail.then(() => this.#log.append(block));
    this.#tail = result.then(
      () => this.#settled(),
      () => this.#settled(),
    );
    return result;
  }

  /** Resolves once every append handed over so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }

  #settled(): void {
    this.#depth -= 1;
  }
}
