import { openEventLog } from '@blockcast/bus';
import { ConfigError, closeOnSignals, createLogger, runMain } from '@blockcast/common';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { requireTransport } from './transport.js';

await runMain('gateway', async () => {
  const config = loadGatewayConfig(process.env);
  // Checked before anything connects: on the wrong transport the process must not start at all.
  const transport = requireTransport(config.allowFallbackTransport);
  if (config.redis === undefined) {
    // A gateway process on a private in-memory bus would report ready and stream nothing.
    throw new ConfigError(
      'REDIS_URL',
      'required for a gateway process (or REDIS_SENTINELS); `npm start` runs everything in one process without it',
    );
  }
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  logger.info({ transport }, 'transport');
  const log = openEventLog({
    redis: config.redis,
    prefix: config.streamPrefix,
    onRedisError: (error) => logger.warn({ err: error }, 'redis connection error; retrying'),
  });
  const app = buildGatewayApp({ config, log, logger });
  await app.start();
  const close = async () => {
    await app.close();
    await log.close();
  };
  closeOnSignals({ close }, logger, config.shutdownGraceMs);
});
