import type { TemplatedApp } from 'uWebSockets.js';
import type { LogResetError } from '@blockcast/event-log';
import {
  type BlockEntry,
  continuesAfter,
  type EventEntry,
  framesFor,
  genericEventFrame,
  type LogEntry,
  oldestBlockFrom,
  type Position,
  type Selection,
  type StreamName,
  type Subscription,
  selectsGenericEvent,
  selectsGenericEvents,
  TransactionFrames,
} from '@blockcast/protocol';
import type { GatewayMetrics } from '../metrics.js';
import type { Connections } from '../sockets/connections.js';
import type { CatchUp } from './catch-up.js';
import type { HeldEntry } from './entry-ring.js';
import type { History } from './history.js';
import type { Topics } from './topics.js';

export interface FanoutOptions {
  app: TemplatedApp;
  history: History;
  topics: Topics;
  catchUp: CatchUp;
  connections: Connections;
  metrics: GatewayMetrics;
}

const NONE: readonly number[] = [];

/**
 * Delivers each entry the follower reads, in the one order that keeps every socket gap-free:
 * into the history (so catch-up can serve it), then its frames to the live topics, then the
 * catch-up hand-off (sockets whose cursor reached it go live). Also the gateway's answer when
 * the log skips entries or is reset under it.
 */
export class Fanout {
  readonly #options: FanoutOptions;

  constructor(options: FanoutOptions) {
    this.#options = options;
  }

  publish(entry: LogEntry): void {
    if (entry.kind === 'event') this.#publishEvent(entry);
    else this.#publishBlock(entry);
  }

  /** Entries after `after` up to `got` were trimmed before they were read: live sockets that need them are told, never fed past them. */
  gap(after: Position, got: Position): void {
    for (const connection of this.#options.connections) {
      if (
        connection.mode === 'live' &&
        !continuesAfter(after, got, selectsGenericEvents(connection.subscription))
      )
        connection.end('HISTORY_GONE', { oldest: oldestBlockFrom(got) });
    }
  }

  /** Positions in the old history mean nothing in the new one: every client must resynchronise. */
  reset(reset: LogResetError): void {
    this.#options.history.clear();
    for (const connection of this.#options.connections) {
      connection.end('RESET', { since: null, epoch: reset.epoch, head: reset.last ?? 0 });
    }
  }

  #publishBlock(block: BlockEntry): void {
    const { history, metrics } = this.#options;
    const started = performance.now();
    this.#sendBlock(block, history.push(block));
    this.#options.catchUp.onLiveEntry();
    metrics.publishDuration.observe((performance.now() - started) / 1000);
    metrics.blocks.inc();
    metrics.height.set(block.height);
    metrics.ringBlocks.set(history.blocksInMemory);
    const lag = Math.max(0, Date.now() - block.ingestedAt) / 1000;
    metrics.publishDelay.observe(lag);
    metrics.lagSeconds.set(lag);
  }

  #publishEvent(event: EventEntry): void {
    this.#options.history.push(event);
    this.#sendEvent(event);
    this.#options.catchUp.onLiveEntry();
    this.#options.metrics.genericEvents.inc({ type: event.type });
  }

  /**
   * Each key's frames are built once (and kept with the entry in the ring for catching-up
   * sockets); uWS writes them to every subscriber of the key's topic in C++, and batches one loop
   * iteration's publishes into one corked write per socket, in order. Filtered keys are found
   * through the index, so a transaction costs what it matches, and keys that select the same
   * transaction share its frame.
   */
  #sendBlock(block: BlockEntry, held: HeldEntry): void {
    const { app, history, topics } = this.#options;
    const shared = new TransactionFrames(block);
    // Summed per stream and reported once per block: a counter update per key costs more than the key.
    const sent = new Map<StreamName, { frames: number; bytes: number }>();
    const now = Date.now();
    const send = (key: string, subscription: Subscription, selection?: Selection) => {
      const frames = history.framesOf<BlockEntry>(held, key, (b) =>
        framesFor(subscription, b, selection, shared),
      );
      if (frames.length === 0) return;
      const subscribers = app.numSubscribers(key);
      let bytes = 0;
      for (const frame of frames) {
        app.publish(key, frame, false, false);
        bytes += frame.length;
      }
      topics.published(key, now);
      const total = sent.get(subscription.stream) ?? { frames: 0, bytes: 0 };
      total.frames += frames.length * subscribers;
      total.bytes += bytes * subscribers;
      sent.set(subscription.stream, total);
    };

    for (const [key, subscription] of topics.unfiltered()) send(key, subscription);
    if (topics.index.size > 0) {
      const valid = topics.index.select(block.transactions);
      const rejected = topics.index.select(block.rejected);
      for (const [key, positions] of valid)
        send(key, topics.get(key)!, { valid: positions, rejected: rejected.get(key) ?? NONE });
      for (const [key, positions] of rejected)
        if (!valid.has(key)) send(key, topics.get(key)!, { valid: NONE, rejected: positions });
    }
    for (const [stream, total] of sent) this.#counted(stream, total.frames, total.bytes);
  }

  /**
   * A generic event goes out the moment it is read, not with the next block: one frame, built
   * once, to every unfiltered `events` key whose mask selects its type (filtered keys never take
   * generic events).
   */
  #sendEvent(event: EventEntry): void {
    const { app, topics } = this.#options;
    let frame: string | undefined;
    for (const [key, subscription] of topics.unfiltered()) {
      if (!selectsGenericEvent(subscription, event.type)) continue;
      frame ??= genericEventFrame(event);
      const subscribers = app.numSubscribers(key);
      app.publish(key, frame, false, false);
      topics.published(key, Date.now());
      this.#counted(subscription.stream, subscribers, frame.length * subscribers);
    }
  }

  /** Frames and bytes handed to sockets for one stream (a frame published to n subscribers counts n). */
  #counted(stream: StreamName, frames: number, bytes: number): void {
    this.#options.metrics.framesSent.inc({ stream }, frames);
    this.#options.metrics.bytesSent.inc({ stream }, bytes);
  }
}
