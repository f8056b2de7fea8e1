import { MemoryLog } from '@blockcast/event-log';
import { type ConformanceOptions, eventLogConformance } from './event-log-conformance.js';
import { heightsOf, readBlocks } from './tail-recorder.js';

const memory: ConformanceOptions = {
  open: async ({ trim: _exactAnyway, ...options } = {}) => {
    const log = new MemoryLog(options);
    return {
      log,
      // One process, one store: a second writer holds the same instance.
      peer: async () => log,
      storedHeights: async () => heightsOf(await readBlocks(log, 0, Number.MAX_SAFE_INTEGER)),
      storedIds: async () =>
        (await log.readEntries({ height: 0, seq: 0 }, Number.MAX_SAFE_INTEGER)).map(
          (entry) => `${entry.height}-${entry.kind === 'event' ? entry.seq : 0}`,
        ),
      cleanup: () => log.close(),
    };
  },
  // Trimming in memory is always exact.
  approximateSlack: async () => 0,
};

eventLogConformance('MemoryLog', memory);
