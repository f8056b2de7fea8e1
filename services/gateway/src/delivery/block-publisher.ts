import type { TemplatedApp } from 'uWebSockets.js';
import {
  type BlockEvent,
  framesFor,
  type Selection,
  type StreamName,
  type Subscription,
  TransactionFrames,
} from '@blockcast/protocol';
import type { BlockRing } from './block-ring.js';
import type { LiveSubscriptions } from './live-subscriptions.js';

/** Frames and bytes handed to sockets for one stream (a frame published to n subscribers counts n). */
export type SentCounter = (stream: StreamName, frames: number, bytes: number) => void;

const NONE: readonly number[] = [];

/**
 * Publishes one block to the live sockets. Each key's frames are built once (and kept in the
 * ring for catching-up sockets); uWS writes them to every subscriber of the key's topic in C++,
 * and batches one loop iteration's publishes into one corked write per socket, in order.
 * Filtered keys are found through the index, so a transaction costs what it matches, and keys
 * that select the same transaction share its frame. `block` must already be in the ring.
 * Returns the frames published (not delivered).
 */
export function publishBlock(
  app: TemplatedApp,
  block: BlockEvent,
  live: LiveSubscriptions,
  ring: BlockRing,
  onSent: SentCounter,
): number {
  const shared = new TransactionFrames(block);
  // Summed per stream and reported once per block: a counter update per key costs more than the key.
  const sent = new Map<StreamName, { frames: number; bytes: number }>();
  const now = Date.now();
  let published = 0;
  const send = (key: string, subscription: Subscription, selection?: Selection) => {
    const frames = ring.frames(block.height, key, (b) => framesFor(subscription, b, selection, shared)) ?? [];
    if (frames.length === 0) return;
    const subscribers = app.numSubscribers(key);
    let bytes = 0;
    for (const frame of frames) {
      app.publish(key, frame, false, false);
      bytes += frame.length;
    }
    published += frames.length;
    live.published(key, now);
    const total = sent.get(subscription.stream) ?? { frames: 0, bytes: 0 };
    total.frames += frames.length * subscribers;
    total.bytes += bytes * subscribers;
    sent.set(subscription.stream, total);
  };

  for (const [key, subscription] of live.unfiltered()) send(key, subscription);
  if (live.index.size > 0) {
    const valid = live.index.select(block.transactions);
    const rejected = live.index.select(block.rejected);
    for (const [key, positions] of valid)
      send(key, live.get(key)!, { valid: positions, rejected: rejected.get(key) ?? NONE });
    for (const [key, positions] of rejected)
      if (!valid.has(key)) send(key, live.get(key)!, { valid: NONE, rejected: positions });
  }
  for (const [stream, total] of sent) onSent(stream, total.frames, total.bytes);
  return published;
}
