import { type Env, readBoolean, readChoice, readInteger, readUrl } from '@blockcast/common';

/** SOURCE: `http` (default) takes POST /api/v1/blocks; `cometbft` follows a CometBFT/Tendermint node instead. */
export const BLOCK_SOURCES = ['http', 'cometbft'] as const;
export type BlockSource = (typeof BLOCK_SOURCES)[number];

export interface FollowerConfig {
  /** COMETBFT_RPC_URL, default `http://127.0.0.1:26657`: the node's RPC (its WebSocket is `<url>/websocket`). */
  rpcUrl: string;
  /** FOLLOWER_POLL_MS, default 1000: how often /status is asked when no NewBlock event came. */
  pollMs: number;
  /** FOLLOWER_RPC_TIMEOUT_MS, default 10 000: an RPC call unanswered by then has failed (and is retried). */
  rpcTimeoutMs: number;
  /** FOLLOWER_SUBSCRIBE, default true: wake up on the node's NewBlock events instead of waiting for the next poll. */
  subscribe: boolean;
}

export function readBlockSource(env: Env): BlockSource {
  return readChoice(env, 'SOURCE', BLOCK_SOURCES, 'http');
}

export function readFollowerConfig(env: Env): FollowerConfig {
  return {
    rpcUrl: readUrl(env, 'COMETBFT_RPC_URL', 'http://127.0.0.1:26657', ['http:', 'https:'])!.replace(
      /\/+$/,
      '',
    ),
    pollMs: readInteger(env, 'FOLLOWER_POLL_MS', 1000, { min: 10, max: 600_000 }),
    rpcTimeoutMs: readInteger(env, 'FOLLOWER_RPC_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    subscribe: readBoolean(env, 'FOLLOWER_SUBSCRIBE', true),
  };
}
