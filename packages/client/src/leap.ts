/**
 * LEAP's `register`/`unregister` over one `events` connection whose `types` is the union of the
 * registered types (docs/protocol.md "The LEAP client SDK"): a change of the union opens a new
 * connection from the last position before the old one closes, and frames of a type nobody is
 * registered for any more are dropped until then.
 */
import { type EventsFrame, isGenericEventFrame } from './frames.js';
import type { StreamEvent, Subscription } from './subscription.js';

export type LeapCallback = (event: string, content: unknown) => void | Promise<void>;

export class LeapRegistry {
  readonly #callbacks = new Map<string, Map<string, LeapCallback>>();
  #subscription: Subscription<'events'> | undefined;

  constructor(
    readonly open: (
      types: string[],
      onEvent: (event: StreamEvent<'events'>) => Promise<void>,
    ) => Subscription<'events'>,
  ) {}

  /** The types with at least one callback, in a stable order. */
  get types(): string[] {
    return [...this.#callbacks.keys()].sort();
  }

  get subscription(): Subscription<'events'> | undefined {
    return this.#subscription;
  }

  async register(event: string, callback: LeapCallback, uid: string, replace = false): Promise<void> {
    let byUid = this.#callbacks.get(event);
    if (byUid?.has(uid) && !replace)
      throw new Error(`${uid} is already registered for ${event}: pass replace to swap its callback`);
    const before = this.types.join(',');
    if (byUid === undefined) {
      byUid = new Map();
      this.#callbacks.set(event, byUid);
    }
    byUid.set(uid, callback);
    if (this.types.join(',') !== before) await this.#reopen();
  }

  /** Removes the callback at once; the connection narrows its `types` on its next reconnect. */
  unregister(event: string, uid: string): void {
    const byUid = this.#callbacks.get(event);
    byUid?.delete(uid);
    if (byUid?.size !== 0) return;
    this.#callbacks.delete(event);
    if (this.types.length > 0) this.#subscription?.useParams({ types: this.types.join(',') });
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
  }

  async #reopen(): Promise<void> {
    const types = this.types;
    if (this.#subscription === undefined) {
      this.#subscription = this.open(types, (event) => this.#dispatch(event.frame));
      void this.#subscription.start();
      return;
    }
    await this.#subscription.changeParams({ types: types.join(',') });
  }

  async #dispatch(frame: EventsFrame): Promise<void> {
    const byUid = this.#callbacks.get(frame.type);
    if (byUid === undefined) return; // unregistered since the connection opened
    const content = isGenericEventFrame(frame) ? frame.content : withoutType(frame);
    for (const callback of [...byUid.values()]) await callback(frame.type, content);
  }
}

function withoutType(frame: EventsFrame): Record<string, unknown> {
  const { type: _type, ...rest } = frame;
  return rest;
}
