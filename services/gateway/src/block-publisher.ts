import type { TemplatedApp } from 'uWebSockets.js';
import {
  type BlockEvent,
  blockInvalidEventFrame,
  blockValidEventFrame,
  EventType,
  invalidTransactionFrame,
  legacyValidTxFrame,
  PROFILES,
  validBlockFrame,
  validTransactionFrame,
} from '@blockcast/protocol';
import { Topic } from './topics.js';

/**
 * Turns one block into frames and publishes them. Each frame is serialised once, and only for
 * topics somebody is subscribed to; uWS batches everything published in one loop iteration
 * into one corked write per socket, in publish order.
 * Returns the number of frames published (not delivered: delivery is per subscriber).
 */
export function publishBlock(app: TemplatedApp, block: BlockEvent): number {
  let frames = 0;
  const publish = (topic: string, frame: string) => {
    app.publish(topic, frame, false, false);
    frames += 1;
  };
  const { height, transactions, rejected } = block;

  for (const profile of PROFILES) {
    const topic = Topic.validTransactions(profile);
    if (app.numSubscribers(topic) === 0) continue;
    for (const tx of transactions) publish(topic, validTransactionFrame(profile, height, tx));
  }
  if (app.numSubscribers(Topic.legacyValidTx) > 0) {
    for (const tx of transactions) publish(Topic.legacyValidTx, legacyValidTxFrame(block, tx));
  }
  if (app.numSubscribers(Topic.validBlocks) > 0) publish(Topic.validBlocks, validBlockFrame(block));
  if (app.numSubscribers(Topic.invalidTransactions) > 0) {
    for (const tx of rejected) publish(Topic.invalidTransactions, invalidTransactionFrame(height, tx));
  }
  const validTopic = Topic.events(EventType.BLOCK_VALID);
  if (app.numSubscribers(validTopic) > 0) publish(validTopic, blockValidEventFrame(block));
  const invalidTopic = Topic.events(EventType.BLOCK_INVALID);
  if (rejected.length > 0 && app.numSubscribers(invalidTopic) > 0)
    publish(invalidTopic, blockInvalidEventFrame(block));
  return frames;
}
