import type { Logger } from '@blockcast/common';
import type { Redis } from 'ioredis';
import { deliver } from './builtin/webhook.js';
import type { WebhookOptions } from './builtin/webhook-options.js';
import { readDeadLetters, removeDeadLetter } from './runner/dead-letter-stream.js';

export interface ReplayOutcome {
  /** Dead letters the endpoint answered 2xx, removed from the stream. */
  replayed: number;
  /** Dead letters still refused after the configured attempts, left in the stream. */
  remaining: number;
}

/**
 * Re-sends every dead letter in `key` to the webhook, oldest first, exactly as the plugin sends
 * (same body, headers, signature, attempts and waits), and removes each one the endpoint answers
 * 2xx; the others stay for the next run. Dead letters parked meanwhile are left for the next run.
 */
export async function replayDeadLetters(options: {
  redis: Redis;
  key: string;
  webhook: WebhookOptions;
  logger: Logger;
  signal: AbortSignal;
}): Promise<ReplayOutcome> {
  const { redis, key, webhook, logger, signal } = options;
  const outcome: ReplayOutcome = { replayed: 0, remaining: 0 };
  for await (const letter of readDeadLetters(redis, key)) {
    if (signal.aborted) break;
    const event = { id: letter.eventId, name: letter.name, json: letter.json };
    const failure = await deliver(event, webhook, signal);
    if (failure === undefined && !signal.aborted) {
      await removeDeadLetter(redis, key, letter);
      outcome.replayed++;
      logger.info({ event: letter.eventId, deadSince: letter.failedAt }, 'dead letter delivered and removed');
    } else {
      outcome.remaining++;
      logger.warn({ event: letter.eventId, failure }, 'dead letter still refused: kept');
    }
  }
  return outcome;
}
