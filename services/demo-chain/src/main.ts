/**
 * The demo chain as its own process (the local multi-process topology): commits a block of
 * demo transactions to INGEST_URL every DEMO_INTERVAL_MS.
 */
import {
  closeOnSignals,
  createLogger,
  readChoice,
  readInteger,
  readLogLevel,
  readOptionalString,
  readUrl,
  runMain,
} from '@blockcast/common';
import { DemoChain } from './demo-chain.js';

await runMain('demo-chain', async () => {
  const env = process.env;
  const logger = createLogger({ name: 'demo-chain', level: readLogLevel(env) });
  const token = readOptionalString(env, 'INGEST_TOKENS')?.split(',')[0]?.trim();
  const chain = new DemoChain({
    ingestUrl: readUrl(env, 'INGEST_URL', 'http://127.0.0.1:9986', ['http:', 'https:'])!,
    ...(token ? { token } : {}),
    intervalMs: readInteger(env, 'DEMO_INTERVAL_MS', 1000, { min: 10 }),
    maxTransactions: readInteger(env, 'DEMO_MAX_TRANSACTIONS', 5, { min: 0, max: 1000 }),
    version: readChoice(env, 'DEMO_TRANSACTION_VERSION', ['2.0', '3.0'] as const, '2.0'),
    logger,
  });
  chain.start();
  logger.info('demo chain committing blocks');
  closeOnSignals({ close: () => chain.stop() }, logger, 5000);
});
