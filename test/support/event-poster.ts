/**
 * An application emitting generic events through a real ingest (`POST /api/v1/events/APP_MESSAGE`)
 * for the fault scenarios: a few after every block the chain sender gets acknowledged, each of a
 * chosen size. What ingest answered (the position) and what was sent (the content) are the record
 * the clients are checked against; an event that is not acknowledged stops the poster.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { GenericEvent } from '@blockcast/protocol';

export interface EventPosterOptions {
  ingestUrl: string;
  token: string;
  /** Events after each acknowledged block (default 2). */
  perBlock?: number;
  /** Characters of padding in each event's body (default 0). */
  padding?: number;
  /** The highest block height acknowledged so far: events follow it. */
  acknowledged(): number;
}

/** An acknowledged event as its frame shows it (the time it was emitted is not in frames). */
export type PostedEvent = Pick<GenericEvent, 'type' | 'height' | 'seq' | 'content'>;

export class EventPoster {
  readonly events: PostedEvent[] = [];
  readonly #options: Required<EventPosterOptions>;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(options: EventPosterOptions) {
    this.#options = { perBlock: 2, padding: 0, ...options };
  }

  start(): void {
    this.#running = this.#loop();
  }

  /** Stops after the event in flight; throws what stopped it, if anything did. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #loop(): Promise<void> {
    let after = 0;
    while (!this.#stopped) {
      const height = this.#options.acknowledged();
      if (height === after) {
        await delay(5);
        continue;
      }
      after = height;
      for (let i = 0; i < this.#options.perBlock && !this.#stopped; i += 1) await this.#post();
    }
  }

  async #post(): Promise<void> {
    const n = this.events.length + 1;
    const content = { topic: 'edge', body: { n, text: `event ${n} ${'.'.repeat(this.#options.padding)}` } };
    const response = await fetch(`${this.#options.ingestUrl}/api/v1/events/APP_MESSAGE`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content }),
    });
    const answer = (await response.json()) as { height: number; seq: number };
    if (response.status !== 201)
      throw new Error(`emit answered ${response.status}: ${JSON.stringify(answer)}`);
    this.events.push({ type: 'APP_MESSAGE', height: answer.height, seq: answer.seq, content });
  }
}
