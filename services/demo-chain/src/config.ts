import {
  type Env,
  type LogLevel,
  readBoolean,
  readChoice,
  readInteger,
  readList,
  readLogLevel,
  readUrl,
} from '@blockcast/common';
import type { TransactionVersion } from '@blockcast/protocol';

/** Everything the demo chain reads from the environment, parsed once (by its process and by `npm start`). */
export interface DemoChainConfig {
  /** DEMO_CHAIN, default true: `npm start` runs the demo chain (its own process ignores this). */
  enabled: boolean;
  /** INGEST_URL, default http://127.0.0.1:9986: where blocks are posted (its own process only). */
  ingestUrl: string;
  /** The first of INGEST_TOKENS, sent as the bearer token; none when unset. */
  token: string | undefined;
  /** DEMO_INTERVAL_MS, default 1000: time between blocks. */
  intervalMs: number;
  /** DEMO_MAX_TRANSACTIONS, default 5: transactions per block are drawn from 0…this. */
  maxTransactions: number;
  /** DEMO_TRANSACTION_VERSION, default 2.0: BigchainDB 2.0 or Planetmint 3.0 transactions. */
  version: TransactionVersion;
  /** DEMO_STATUS_EVERY_BLOCKS, default 10: a NODE_STATUS generic event after every this many blocks (0: none). */
  statusEveryBlocks: number;
  /** DEMO_REJECT_PERCENT, default 20: the share of blocks that also carry a rejected double spend (0: none). */
  rejectChance: number;
  logLevel: LogLevel;
}

export function loadDemoChainConfig(env: Env): DemoChainConfig {
  return {
    enabled: readBoolean(env, 'DEMO_CHAIN', true),
    ingestUrl: readUrl(env, 'INGEST_URL', 'http://127.0.0.1:9986', ['http:', 'https:'])!,
    token: readList(env, 'INGEST_TOKENS')[0],
    intervalMs: readInteger(env, 'DEMO_INTERVAL_MS', 1000, { min: 10 }),
    maxTransactions: readInteger(env, 'DEMO_MAX_TRANSACTIONS', 5, { min: 0, max: 1000 }),
    version: readChoice(env, 'DEMO_TRANSACTION_VERSION', ['2.0', '3.0'] as const, '2.0'),
    statusEveryBlocks: readInteger(env, 'DEMO_STATUS_EVERY_BLOCKS', 10, { min: 0, max: 1_000_000 }),
    rejectChance: readInteger(env, 'DEMO_REJECT_PERCENT', 20, { min: 0, max: 100 }) / 100,
    logLevel: readLogLevel(env),
  };
}
