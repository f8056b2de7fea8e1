import { MemoryLog } from '@blockcast/event-log';
import { eventLogConformance } from './event-log-conformance.js';
import { heightsOf } from './tail-recorder.js';

eventLogConformance('MemoryLog', {
  open: async (options = {}) => {
    const log = new MemoryLog({ retainBlocks: options.retainBlocks, firstHeight: options.firstHeight });
    return {
      log,
      // One process, one store: a second writer holds the same instance.
      peer: async () => log,
      storedHeights: async () => heightsOf(await log.read(0, Number.MAX_SAFE_INTEGER)),
      cleanup: () => log.close(),
    };
  },
  // Trimming in memory is always exact.
  approximateSlack: async () => 0,
});
