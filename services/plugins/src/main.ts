/**
 * The plugin host process: config from the environment, one supervised process per plugin,
 * the ops port, signals. Everything else lives in app.ts so tests build the host without a process.
 */
import { closeOnSignals, createLogger, requireRedisTarget, runMain } from '@blockcast/common';
import { buildPluginsApp } from './app.js';
import { loadPluginsConfig } from './config.js';

await runMain('blockcast-plugins', async () => {
  const config = loadPluginsConfig(process.env);
  const redis = requireRedisTarget(config.redis, 'the plugin host');
  const logger = createLogger({ name: 'blockcast-plugins', level: config.logLevel });
  const app = buildPluginsApp({ config, redis, logger });
  const { opsPort } = await app.start();
  logger.info({ opsPort, plugins: config.plugins.map((spec) => spec.name) }, 'plugins running');
  // Each plugin gets the grace period to finish its event; the host needs a little more to see them exit.
  closeOnSignals(app, logger, config.shutdownGraceMs + 2000);
});
