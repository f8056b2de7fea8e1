/**
 * The ingest process: config from the environment, the event log, the HTTP app, signals.
 * Everything else lives in app.ts so tests build the service without a process.
 */
import { openEventLog } from '@blockcast/bus';
import { ConfigError, closeOnSignals, createLogger, runMain } from '@blockcast/common';
import { buildIngestApp } from './app.js';
import { loadIngestConfig } from './config.js';

await runMain('blockcast-ingest', async () => {
  const config = loadIngestConfig(process.env);
  if (config.redis === undefined) {
    // An ingest process on a private in-memory bus would accept blocks no gateway ever sees.
    throw new ConfigError(
      'REDIS_URL',
      'required for an ingest process (or REDIS_SENTINELS); `npm start` runs everything in one process without it',
    );
  }
  const logger = createLogger({ name: 'blockcast-ingest', level: config.logLevel });
  const log = openEventLog({
    redis: config.redis,
    prefix: config.streamPrefix,
    retainBlocks: config.retainBlocks,
    onRedisError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });
  const app = buildIngestApp({ config, log, logger });
  try {
    const { url, opsPort } = await app.start();
    logger.info({ url, opsPort, log: config.redis.kind }, 'ingest listening');
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
    config.shutdownGraceMs,
  );
});
