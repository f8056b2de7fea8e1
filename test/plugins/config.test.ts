/** loadPluginsConfig: defaults, plugin names and modules, built-in options; every refusal names its variable. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@blockcast/common';
import { loadPluginsConfig, loadReplayConfig } from '@blockcast/plugins';

const CWD = process.cwd();

function refusal(env: Record<string, string>, variable: string, message: RegExp): void {
  assert.throws(
    () => loadPluginsConfig(env, CWD),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === variable && message.test(error.message),
  );
}

describe('plugins config', () => {
  test('defaults: ops port 9991, new groups start at the latest block, restarts from 1 s to 60 s', () => {
    const config = loadPluginsConfig({ PLUGINS: 'console' }, CWD);
    assert.equal(config.opsPort, 9991);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.start, 'latest');
    assert.equal(config.restartMinMs, 1000);
    assert.equal(config.restartMaxMs, 60_000);
    assert.equal(config.streamPrefix, 'blockcast:');
    assert.deepEqual(
      config.plugins.map((spec) => spec.name),
      ['console'],
    );
  });

  test('a path entry resolves a package folder to its main file and is named after the folder, or as given', () => {
    const config = loadPluginsConfig(
      { PLUGINS: './examples/plugin-example,demo=./examples/plugin-example' },
      CWD,
    );
    const main = pathToFileURL(`${CWD}/examples/plugin-example/index.js`).href;
    assert.deepEqual(
      config.plugins.map((spec) => [spec.name, spec.module]),
      [
        ['plugin-example', main],
        ['demo', main],
      ],
    );
  });

  test('refuses: no plugin, a name twice, a bad name, a path with no module', () => {
    refusal({}, 'PLUGINS', /name at least one plugin/);
    refusal({ PLUGINS: 'console,console' }, 'PLUGINS', /names "console" twice/);
    refusal({ PLUGINS: 'my plugin=console' }, 'PLUGINS', /plugin name "my plugin" must be/);
    refusal({ PLUGINS: './no/such/plugin.js' }, 'PLUGINS', /no module at .*no\/such\/plugin\.js/);
  });

  test('webhook: URL required, short secrets refused, options parsed with their defaults', () => {
    refusal({ PLUGINS: 'webhook' }, 'PLUGINS_WEBHOOK_URL', /required when PLUGINS names webhook/);
    refusal({ PLUGINS: 'webhook', PLUGINS_WEBHOOK_URL: 'ftp://x' }, 'PLUGINS_WEBHOOK_URL', /http: or https:/);
    refusal(
      { PLUGINS: 'webhook', PLUGINS_WEBHOOK_URL: 'http://127.0.0.1/', PLUGINS_WEBHOOK_SECRET: 'short' },
      'PLUGINS_WEBHOOK_SECRET',
      /at least 16/,
    );
    const [spec] = loadPluginsConfig(
      { PLUGINS: 'webhook', PLUGINS_WEBHOOK_URL: 'http://127.0.0.1/h' },
      CWD,
    ).plugins;
    assert.deepEqual(spec?.options, {
      url: 'http://127.0.0.1/h',
      secret: undefined,
      attempts: 5,
      retryMinMs: 500,
      retryMaxMs: 30_000,
      timeoutMs: 10_000,
    });
  });

  test('amqp: URL required, exchange defaults to a durable topic exchange blockcast.events', () => {
    refusal({ PLUGINS: 'amqp' }, 'PLUGINS_AMQP_URL', /required when PLUGINS names amqp/);
    refusal(
      { PLUGINS: 'amqp', PLUGINS_AMQP_URL: 'amqp://h', PLUGINS_AMQP_EXCHANGE_TYPE: 'headers' },
      'PLUGINS_AMQP_EXCHANGE_TYPE',
      /topic, fanout, direct/,
    );
    const [spec] = loadPluginsConfig({ PLUGINS: 'amqp', PLUGINS_AMQP_URL: 'amqp://127.0.0.1' }, CWD).plugins;
    assert.deepEqual(spec?.options, {
      url: 'amqp://127.0.0.1',
      exchange: 'blockcast.events',
      exchangeType: 'topic',
      confirmTimeoutMs: 10_000,
    });
  });

  test('replay-dead-letters: the plugin named by its argument (default webhook), its webhook settings as the plugin reads them', () => {
    const env = { PLUGINS_WEBHOOK_URL: 'https://example.org/hook', PLUGINS_WEBHOOK_ATTEMPTS: '2' };
    const config = loadReplayConfig(env, []);
    assert.equal(config.plugin, 'webhook');
    assert.equal(config.webhook.url, 'https://example.org/hook');
    assert.equal(config.webhook.attempts, 2);
    assert.equal(loadReplayConfig(env, ['hooks-b']).plugin, 'hooks-b');
    assert.throws(() => loadReplayConfig(env, ['a', 'b']), /takes one plugin name/);
    assert.throws(() => loadReplayConfig(env, ['bad name']), /must be letters, digits/);
    assert.throws(() => loadReplayConfig({}, []), /PLUGINS_WEBHOOK_URL: required/);
  });
});
