import { closeOnSignals, createLogger, requireRedisTarget, runMain } from '@blockcast/common';
import { openEventLog } from '@blockcast/event-log';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { requireTransport } from './transport/transport.js';

await runMain('gateway', async () => {
  const config = loadGatewayConfig(process.env);
  // Checked before anything connects: on the wrong transport the process must not start at all.
  const transport = requireTransport(config.allowFallbackTransport);
  const redis = requireRedisTarget(config.redis, 'a gateway process');
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  logger.info({ transport }, 'transport');
  const log = openEventLog({
    redis,
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
