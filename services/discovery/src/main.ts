/** Process entry: config from the environment, logger, listen, close on SIGTERM/SIGINT. */
import { closeOnSignals, createLogger, runMain, SHUTDOWN_BACKSTOP_MS } from '@blockcast/common';
import { openEventLog } from '@blockcast/event-log';
import { buildDiscoveryApp } from './app.js';
import { loadDiscoveryConfig } from './config.js';

await runMain('discovery', async () => {
  const config = loadDiscoveryConfig(process.env);
  const logger = createLogger({ name: 'discovery', level: config.logLevel });
  const log = config.redis
    ? openEventLog({
        redis: config.redis,
        prefix: config.streamPrefix,
        onRedisError: (error) => logger.warn({ err: error }, 'redis connection error; retrying'),
      })
    : undefined;
  const app = buildDiscoveryApp({ config, logger, ...(log ? { log } : {}) });
  const { url, opsPort } = await app.start();
  logger.info(
    { url, opsPort, profile: config.profile, advertised: config.advertised },
    'discovery listening',
  );
  const close = async () => {
    await app.close();
    await log?.close();
  };
  closeOnSignals({ close }, logger, config.shutdownGraceMs + SHUTDOWN_BACKSTOP_MS);
});
