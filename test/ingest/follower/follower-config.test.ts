/** SOURCE=cometbft in loadIngestConfig: the follower's settings, and no credentials needed without the POST route. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '@blockcast/common';
import { loadIngestConfig } from '@blockcast/ingest';

function refusal(env: Record<string, string>, variable: string, message: RegExp): void {
  assert.throws(
    () => loadIngestConfig(env),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === variable && message.test(error.message),
  );
}

describe('ingest config with SOURCE=cometbft', () => {
  test('follower defaults: the local node on 26657, a poll a second, 10 s RPC timeout, NewBlock wake-ups on; no credentials required', () => {
    const config = loadIngestConfig({ SOURCE: 'cometbft' });
    assert.equal(config.source, 'cometbft');
    assert.deepEqual(config.follower, {
      rpcUrl: 'http://127.0.0.1:26657',
      pollMs: 1000,
      rpcTimeoutMs: 10_000,
      subscribe: true,
    });
    assert.deepEqual(config.auth.tokens, []);
  });

  test('a trailing slash on COMETBFT_RPC_URL is dropped; other settings are read', () => {
    const config = loadIngestConfig({
      SOURCE: 'cometbft',
      COMETBFT_RPC_URL: 'https://node.example:443/',
      FOLLOWER_POLL_MS: '250',
      FOLLOWER_RPC_TIMEOUT_MS: '3000',
      FOLLOWER_SUBSCRIBE: 'false',
    });
    assert.deepEqual(config.follower, {
      rpcUrl: 'https://node.example:443',
      pollMs: 250,
      rpcTimeoutMs: 3000,
      subscribe: false,
    });
  });

  test('refuses an unknown SOURCE, a non-http RPC URL and out-of-range intervals, naming the variable', () => {
    refusal({ SOURCE: 'tendermint' }, 'SOURCE', /expected one of http, cometbft/);
    refusal(
      { SOURCE: 'cometbft', COMETBFT_RPC_URL: 'tcp://127.0.0.1:26657' },
      'COMETBFT_RPC_URL',
      /http: or https:/,
    );
    refusal({ SOURCE: 'cometbft', FOLLOWER_POLL_MS: '1' }, 'FOLLOWER_POLL_MS', /at least 10/);
    refusal(
      { SOURCE: 'cometbft', FOLLOWER_RPC_TIMEOUT_MS: 'soon' },
      'FOLLOWER_RPC_TIMEOUT_MS',
      /expected an integer/,
    );
  });

  test('SOURCE=http (the default) still requires credentials and has no follower', () => {
    refusal({}, 'INGEST_TOKENS', /no credentials/);
    assert.equal(loadIngestConfig({ INGEST_ALLOW_NO_AUTH: 'true' }).follower, undefined);
  });
});
