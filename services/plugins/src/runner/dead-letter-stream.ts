import type { Redis } from 'ioredis';
import type { PluginEvent } from '../plugin-api.js';

/** Dead letters kept per plugin; older ones are trimmed (approximately) as new ones arrive. */
const KEEP_DEAD_LETTERS = 100_000;

/** `<prefix>plugins:<name>:dead`: events a plugin gave up on, for an operator to inspect or replay. */
export function deadLetterKey(streamPrefix: string, plugin: string): string {
  return `${streamPrefix}plugins:${plugin}:dead`;
}

export function addDeadLetter(
  redis: Redis,
  key: string,
  event: PluginEvent,
  reason: string,
): Promise<unknown> {
  return redis.xadd(
    key,
    'MAXLEN',
    '~',
    String(KEEP_DEAD_LETTERS),
    '*',
    'event_id',
    event.id,
    'type',
    event.name,
    'height',
    String(event.height),
    'event',
    event.json,
    'reason',
    reason,
    'failed_at',
    new Date().toISOString(),
  );
}
