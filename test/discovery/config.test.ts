import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '@blockcast/common';
import { loadDiscoveryConfig } from '@blockcast/discovery';

describe('loadDiscoveryConfig', () => {
  test('defaults: BigchainDB 2.2.2 on 0.0.0.0:9984, ops on 9990, advertising ws://localhost:9985, connection limits, 10 s grace', () => {
    assert.deepEqual(loadDiscoveryConfig({}), {
      host: '0.0.0.0',
      port: 9984,
      opsPort: 9990,
      profile: 'bigchaindb',
      advertised: { scheme: 'ws', host: 'localhost', port: 9985, apiUrl: 'http://localhost:9984' },
      softwareVersion: '2.2.2',
      retainBlocks: 100_000,
      legacyPublicKey: '',
      legacyKeyring: [],
      logLevel: 'info',
      redis: undefined,
      streamPrefix: 'blockcast:',
      limits: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5000,
        maxConnections: 4096,
      },
      shutdownGraceMs: 10_000,
    });
  });

  test('the default version follows the profile', () => {
    assert.equal(loadDiscoveryConfig({ BLOCKCAST_PROFILE: 'planetmint' }).softwareVersion, '2.2.4');
    assert.equal(loadDiscoveryConfig({ BLOCKCAST_PROFILE: 'legacy' }).softwareVersion, '0.10.0');
    assert.equal(
      loadDiscoveryConfig({ BLOCKCAST_PROFILE: 'legacy', SOFTWARE_VERSION: '0.10.3' }).softwareVersion,
      '0.10.3',
    );
  });

  test('ADVERTISED_API_URL defaults to the advertised host on DISCOVERY_PORT; a given one loses its trailing slash', () => {
    const derived = loadDiscoveryConfig({
      ADVERTISED_STREAMS_HOST: 'node.example.com',
      DISCOVERY_PORT: '8080',
    });
    assert.equal(derived.advertised.apiUrl, 'http://node.example.com:8080');
    const given = loadDiscoveryConfig({ ADVERTISED_API_URL: 'https://api.example.com/' });
    assert.equal(given.advertised.apiUrl, 'https://api.example.com');
  });

  test('DISCOVERY_OPS_PORT: its own port, or 0 for a free one even when DISCOVERY_PORT is 0', () => {
    assert.equal(loadDiscoveryConfig({ DISCOVERY_OPS_PORT: '19990' }).opsPort, 19990);
    const both = loadDiscoveryConfig({ DISCOVERY_PORT: '0', DISCOVERY_OPS_PORT: '0' });
    assert.deepEqual([both.port, both.opsPort], [0, 0]);
  });

  test('DISCOVERY_OPS_PORT equal to DISCOVERY_PORT is refused naming DISCOVERY_OPS_PORT', () => {
    assert.throws(
      () => loadDiscoveryConfig({ DISCOVERY_PORT: '9990' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'DISCOVERY_OPS_PORT' &&
        /must differ from DISCOVERY_PORT/.test(error.message),
    );
  });

  const bad: [variable: string, value: string][] = [
    ['DISCOVERY_PORT', 'http'],
    ['DISCOVERY_PORT', '70000'],
    ['DISCOVERY_OPS_PORT', 'metrics'],
    ['DISCOVERY_OPS_PORT', '70000'],
    ['DISCOVERY_OPS_PORT', '-1'],
    ['BLOCKCAST_PROFILE', 'tendermint'],
    ['ADVERTISED_STREAMS_SCHEME', 'http'],
    ['ADVERTISED_STREAMS_HOST', 'wss://streams.example.com'],
    ['ADVERTISED_STREAMS_HOST', 'streams.example.com:443'],
    ['ADVERTISED_STREAMS_HOST', 'streams.example.com/path'],
    ['ADVERTISED_STREAMS_PORT', '0'],
    ['ADVERTISED_STREAMS_PORT', 'ninety'],
    ['ADVERTISED_API_URL', 'ws://api.example.com'],
    ['ADVERTISED_API_URL', 'not a url'],
    ['SOFTWARE_VERSION', '2.2.2/../x'],
    ['RETAIN_BLOCKS', '0'],
    ['RETAIN_BLOCKS', '1e5'],
    ['LOG_LEVEL', 'loud'],
    ['DISCOVERY_HEADERS_TIMEOUT_MS', 'soon'],
    ['DISCOVERY_REQUEST_TIMEOUT_MS', '50'],
    ['DISCOVERY_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['DISCOVERY_MAX_CONNECTIONS', '-3'],
    ['DISCOVERY_SHUTDOWN_GRACE_MS', 'ten'],
  ];
  for (const [variable, value] of bad) {
    test(`${variable}=${JSON.stringify(value)} is refused with an error naming ${variable}`, () => {
      assert.throws(
        () => loadDiscoveryConfig({ [variable]: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === variable &&
          error.message.startsWith(`${variable}:`),
      );
    });
  }
});
