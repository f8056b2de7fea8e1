/**
 * The demo chain as its own process (the local multi-process topology): commits a block of
 * demo transactions to INGEST_URL every DEMO_INTERVAL_MS.
 */
import { closeOnSignals, createLogger, runMain } from '@blockcast/common';
import { loadDemoChainConfig } from './config.js';
import { DemoChain } from './demo-chain.js';

await runMain('demo-chain', async () => {
  const config = loadDemoChainConfig(process.env);
  const logger = createLogger({ name: 'demo-chain', level: config.logLevel });
  const chain = new DemoChain({ ...config, logger });
  chain.start();
  logger.info('demo chain committing blocks');
  closeOnSignals({ close: () => chain.stop() }, logger, 5000);
});
