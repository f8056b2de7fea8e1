/**
 * Every configuration variable a user reads about — in README, docs/, the chart's README and the
 * texts the services serve (close codes, refusals, the stream catalog) — is one the services'
 * config loaders actually read: a renamed or invented variable in a doc fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Env } from '@blockcast/common';
import { loadDemoChainConfig } from '@blockcast/demo-chain';
import { loadDiscoveryConfig } from '@blockcast/discovery';
import { loadGatewayConfig } from '@blockcast/gateway';
import { loadIngestConfig } from '@blockcast/ingest';
import { loadPluginsConfig } from '@blockcast/plugins';
import { CLOSE_CODES, STREAM_CATALOG, STREAM_PARAMETERS, UPGRADE_ERRORS } from '@blockcast/protocol';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The families a user configures a service with; each name of these in a doc must be read by a loader. */
const NAME =
  /\b(?:GATEWAY|INGEST|DISCOVERY|DEMO|ADVERTISED|FOLLOWER|COMETBFT|PLUGINS|REDIS)_[A-Z0-9_]*[A-Z0-9]\b/g;

/** The variables `load` reads from an environment holding `given`, recorded as it reads them. */
function readBy(load: (env: Env) => unknown, given: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(given, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
    has(target, name) {
      if (typeof name === 'string') read.add(name);
      return name in target;
    },
  });
  load(env);
  return read;
}

function variablesTheServicesRead(): Set<string> {
  const token = { INGEST_TOKENS: 'a-token-of-sixteen-or-more' };
  const readers: [(env: Env) => unknown, Record<string, string>][] = [
    [loadIngestConfig, token],
    [loadIngestConfig, { ...token, SOURCE: 'cometbft' }],
    [loadIngestConfig, { ...token, REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_MASTER: 'm' }],
    [loadGatewayConfig, {}],
    [loadGatewayConfig, { GATEWAY_JWT_SECRET: 'x'.repeat(32) }],
    [loadDiscoveryConfig, {}],
    [loadDemoChainConfig, {}],
    [
      (env) => loadPluginsConfig(env, ROOT),
      {
        PLUGINS: 'console,webhook,amqp',
        PLUGINS_WEBHOOK_URL: 'http://127.0.0.1:1/hook',
        PLUGINS_AMQP_URL: 'amqp://127.0.0.1:1',
        REDIS_URL: 'redis://127.0.0.1:1',
      },
    ],
  ];
  const read = new Set<string>();
  for (const [load, env] of readers) for (const name of readBy(load, env)) read.add(name);
  return read;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => join(dir, entry.name));
}

const texts: [string, string][] = [
  ...['README.md', 'deploy/k8s/blockcast/README.md', ...markdownFiles('docs')].map(
    (file): [string, string] => [file, readFileSync(join(ROOT, file), 'utf8')],
  ),
  ['close codes (packages/protocol)', JSON.stringify(CLOSE_CODES)],
  ['upgrade refusals (packages/protocol)', JSON.stringify(UPGRADE_ERRORS)],
  ['stream catalog (packages/protocol)', JSON.stringify([STREAM_CATALOG, STREAM_PARAMETERS])],
];

test('every service variable named in the docs and the served texts is one a config loader reads', () => {
  const read = variablesTheServicesRead();
  const unknown = texts.flatMap(([where, text]) =>
    [...new Set(text.match(NAME) ?? [])].filter((name) => !read.has(name)).map((name) => `${where}: ${name}`),
  );
  assert.deepEqual(unknown, [], 'names no loader reads (renamed, misspelt or invented)');
});

test('the check sees a name no loader reads (it can fail)', () => {
  const read = variablesTheServicesRead();
  assert.ok(read.has('GATEWAY_SLOW_CLIENT_BYTES') && read.has('INGEST_TOKENS') && read.has('DISCOVERY_PORT'));
  assert.ok(!read.has('GATEWAY_HARD_LIMIT_BYTES'));
});
