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

/** One parked event as the dead-letter stream holds it. */
export interface DeadLetter {
  /** The stream entry's ID, for removing it once delivered. */
  entryId: string;
  /** The event's `id` (`<height>:<name>`, `<height>-<seq>:<name>`), the receiver's idempotency key. */
  eventId: string;
  name: PluginEvent['name'];
  height: number;
  /** The event's JSON, as it was to be delivered. */
  json: string;
  reason: string;
  failedAt: string;
}

const READ_BATCH = 100;

/** The dead letters in `key` now, oldest first, read in batches; ones added meanwhile are left for the next run. */
export async function* readDeadLetters(redis: Redis, key: string): AsyncGenerator<DeadLetter> {
  const [newest] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  if (newest === undefined) return;
  let start = '-';
  for (;;) {
    const entries = await redis.xrange(key, start, newest[0], 'COUNT', READ_BATCH);
    for (const [entryId, fields] of entries) yield deadLetterOf(entryId, fields);
    if (entries.length < READ_BATCH) return;
    start = `(${entries.at(-1)![0]}`;
  }
}

export async function removeDeadLetter(redis: Redis, key: string, letter: DeadLetter): Promise<void> {
  await redis.xdel(key, letter.entryId);
}

function deadLetterOf(entryId: string, fields: string[]): DeadLetter {
  const field = (name: string) => {
    const index = fields.indexOf(name);
    return index % 2 === 0 ? (fields[index + 1] ?? '') : '';
  };
  return {
    entryId,
    eventId: field('event_id'),
    name: field('type') as PluginEvent['name'],
    height: Number(field('height')),
    json: field('event'),
    reason: field('reason'),
    failedAt: field('failed_at'),
  };
}
