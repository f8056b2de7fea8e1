import { SharedReading } from '@blockcast/common';
import type { EventLog } from '@blockcast/event-log';
import type { StreamState } from './catalog-document.js';

/**
 * The epoch and the bounds of the history, read from the event log at most once per `ttlMs`
 * however often the catalog is asked for; a log that does not answer shows as unknown (nulls).
 */
export function streamStateReader(
  log: Pick<EventLog, 'epoch' | 'bounds'>,
  ttlMs = 1000,
): () => Promise<StreamState> {
  const reading = new SharedReading(async (): Promise<StreamState> => {
    try {
      const [epoch, bounds] = await Promise.all([log.epoch(), log.bounds()]);
      return { epoch, oldest: bounds?.first ?? null, head: bounds?.last ?? null };
    } catch {
      return { epoch: null, oldest: null, head: null };
    }
  }, ttlMs);
  return () => reading.get();
}
