import type { TemplatedApp } from 'uWebSockets.js';
import {
  type BlockEvent,
  framesFor,
  type RejectedTransactionEvent,
  type StreamName,
  type Subscription,
  type TransactionEvent,
} from '@blockcast/protocol';
import type { BlockRing } from './block-ring.js';
import type { LiveSubscriptions } from './live-subscriptions.js';

/** Frames and bytes handed to sockets for one stream (a frame published to n subscribers counts n). */
export type SentCounter = (stream: StreamName, frames: number, bytes: number) => void;

/**
 * Publishes one block to the live sockets. Each key's frames are built once (and kept in the
 * ring for catching-up sockets); uWS writes them to every subscriber of the key's topic in C++,
 * and batches one loop iteration's publishes into one corked write per socket, in order.
 * Filtered keys are found through the index, so a transaction costs what it matches.
 * `block` must already be in the ring. Returns the frames published (not delivered).
 */
export function publishBlock(
  app: TemplatedApp,
  block: BlockEvent,
  live: LiveSubscriptions,
  ring: BlockRing,
  onSent: SentCounter,
): number {
  let published = 0;
  const send = (key: string, subscription: Subscription, frames: readonly string[]) => {
    if (frames.length === 0) return;
    const subscribers = app.numSubscribers(key);
    let bytes = 0;
    for (const frame of frames) {
      app.publish(key, frame, false, false);
      bytes += frame.length;
    }
    published += frames.length;
    live.published(key, Date.now());
    onSent(subscription.stream, frames.length * subscribers, bytes * subscribers);
  };

  for (const [key, subscription] of live.unfiltered()) {
    send(key, subscription, ring.frames(block.height, key, (b) => framesFor(subscription, b)) ?? []);
  }
  for (const [key, selection] of selectThroughIndex(block, live)) {
    const subscription = live.get(key)!;
    send(
      key,
      subscription,
      ring.frames(block.height, key, (b) => framesFor(subscription, b, selection)) ?? [],
    );
  }
  return published;
}

interface MutableSelection {
  valid: TransactionEvent[];
  rejected: RejectedTransactionEvent[];
}

/** For every filtered key some transaction of the block matches: what it matched, in block order. */
function selectThroughIndex(block: BlockEvent, live: LiveSubscriptions): Map<string, MutableSelection> {
  const selections = new Map<string, MutableSelection>();
  if (live.index.size === 0) return selections;
  const selectionOf = (key: string) => {
    let selection = selections.get(key);
    if (selection === undefined) {
      selection = { valid: [], rejected: [] };
      selections.set(key, selection);
    }
    return selection;
  };
  for (const tx of block.transactions)
    for (const key of live.index.matches(tx)) selectionOf(key).valid.push(tx);
  for (const tx of block.rejected)
    for (const key of live.index.matches(tx)) selectionOf(key).rejected.push(tx);
  return selections;
}
