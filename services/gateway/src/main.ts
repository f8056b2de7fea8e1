import { openEventLog } from '@blockcast/bus';
import { closeOnSignals, createLogger, runMain } from '@blockcast/common';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig } from './config.js';

await runMain('gateway', async () => {
  const config = loadGatewayConfig(process.env);
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  const log = await openEventLog({
    ...(config.redis ? { redis: config.redis } : {}),
    prefix: config.streamPrefix,
  });
  const app = buildGatewayApp({ config, log, logger });
  await app.start();
  const close = async () => {
    await app.close();
    await log.close();
  };
  closeOnSignals({ close }, logger, config.shutdownGraceMs);
});
