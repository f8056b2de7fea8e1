/** Real event logs with only their timing changed, to put a gateway behind the log or slow its reads. */
import { setTimeout as delay } from 'node:timers/promises';
import type { EventLog } from '@blockcast/event-log';

/** `inner` with some of its operations replaced: a real log, with only the timing changed. */
export function delegate(inner: EventLog, overrides: Partial<EventLog>): EventLog {
  return {
    append: (block) => inner.append(block),
    epoch: () => inner.epoch(),
    emit: (request) => inner.emit(request),
    readEntries: (after, limit) => inner.readEntries(after, limit),
    tailEntries: (options) => inner.tailEntries(options),
    bounds: () => inner.bounds(),
    ping: () => inner.ping(),
    close: () => inner.close(),
    ...overrides,
  };
}

/** A real log whose tail hands entries on late: a gateway that lags behind the log (and other gateways). */
export function laggingLog(inner: EventLog, lagMs: number): EventLog {
  return delegate(inner, {
    tailEntries: (options: Parameters<EventLog['tailEntries']>[0]) =>
      (async function* () {
        for await (const entry of inner.tailEntries(options)) {
          await delay(lagMs);
          yield entry;
        }
      })(),
  });
}

/** A real log whose history reads (readEntries) take `delayMs` longer: the chain moves on meanwhile. */
export function slowHistoryReads(inner: EventLog, delayMs: number): EventLog {
  return delegate(inner, {
    readEntries: async (after, limit) => {
      await delay(delayMs);
      return inner.readEntries(after, limit);
    },
  });
}
