/** Process entry: config from the environment, logger, listen, close on SIGTERM/SIGINT. */
import { closeOnSignals, createLogger, runMain, SHUTDOWN_BACKSTOP_MS } from '@blockcast/common';
import { buildDiscoveryApp } from './app.js';
import { loadDiscoveryConfig } from './config.js';

await runMain('discovery', async () => {
  const config = loadDiscoveryConfig(process.env);
  const logger = createLogger({ name: 'discovery', level: config.logLevel });
  const app = buildDiscoveryApp({ config, logger });
  const { url, opsPort } = await app.start();
  logger.info(
    { url, opsPort, profile: config.profile, advertised: config.advertised },
    'discovery listening',
  );
  closeOnSignals(app, logger, config.shutdownGraceMs + SHUTDOWN_BACKSTOP_MS);
});
