/** Process entry: config from the environment, logger, listen, close on SIGTERM/SIGINT. */
import { closeOnSignals, createLogger, runMain } from '@blockcast/common';
import { buildDiscoveryApp } from './app.js';
import { loadDiscoveryConfig } from './config.js';

/** Discovery holds no long-lived connections, so in-flight requests finish well within this. */
const SHUTDOWN_GRACE_MS = 10_000;

await runMain('discovery', async () => {
  const config = loadDiscoveryConfig(process.env);
  const logger = createLogger({ name: 'discovery', level: config.logLevel });
  const app = buildDiscoveryApp({ config, logger });
  const { url, opsPort } = await app.start();
  logger.info(
    { url, opsPort, profile: config.profile, advertised: config.advertised },
    'discovery listening',
  );
  closeOnSignals(app, logger, SHUTDOWN_GRACE_MS);
});
