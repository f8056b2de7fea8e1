/**
 * The ingest process: config from the environment, the event log, the HTTP app, signals.
 * Everything else lives in app.ts so tests build the service without a process.
 */

import {
  closeOnSignals,
  createLogger,
  requireRedisTarget,
  runMain,
  SHUTDOWN_BACKSTOP_MS,
} from '@blockcast/common';
import { buildIngestApp } from './app.js';
import { loadIngestConfig } from './config.js';
import { openIngestLog } from './ingest-log.js';

await runMain('blockcast-ingest', async () => {
  const config = loadIngestConfig(process.env);
  const redis = requireRedisTarget(config.redis, 'an ingest process');
  const logger = createLogger({ name: 'blockcast-ingest', level: config.logLevel });
  const log = openIngestLog(config, (error) => logger.warn({ err: error }, 'redis connection error'));
  const app = buildIngestApp({ config, log, logger });
  try {
    const { url, opsPort } = await app.start();
    logger.info({ url, opsPort, log: redis.kind, source: config.source }, 'ingest listening');
  } catch (error) {
    await log.close();
    throw error;
  }
  // Order matters: stop taking requests and finish the in-flight appends, then close the log.
  closeOnSignals(
    {
      close: async () => {
        await app.close();
        await log.close();
      },
    },
    logger,
    config.shutdownGraceMs + SHUTDOWN_BACKSTOP_MS,
  );
});
