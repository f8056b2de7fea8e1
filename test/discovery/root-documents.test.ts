import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture } from '../support/fixtures.js';
import { discoveryApp, get } from './support.js';

/** Same keys, same values and the same key order: what a byte-comparing client would see. */
function assertSameDocument(actualBody: string, expected: unknown): void {
  const actual: unknown = JSON.parse(actualBody);
  assert.deepEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

const FIXTURE_ENV = {
  ADVERTISED_STREAMS_HOST: 'localhost',
  ADVERTISED_STREAMS_PORT: '9985',
  ADVERTISED_STREAMS_SCHEME: 'ws',
};

for (const { profile, dir, version } of [
  { profile: 'bigchaindb', dir: 'bigchaindb-2', version: '2.2.2' },
  { profile: 'planetmint', dir: 'planetmint', version: '2.2.4' },
]) {
  describe(`profile ${profile}: root documents equal the published ones`, () => {
    test('GET / is the fixture root document, keys in the same order', async (t) => {
      const app = discoveryApp(t, { ...FIXTURE_ENV, BLOCKCAST_PROFILE: profile, SOFTWARE_VERSION: version });
      const response = await get(app, '/');
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assertSameDocument(response.text, fixture(`${dir}/root-index.json`));
    });

    test('GET /api/v1/ and /api/v1 are the fixture API index, keys in the same order', async (t) => {
      const app = discoveryApp(t, { ...FIXTURE_ENV, BLOCKCAST_PROFILE: profile, SOFTWARE_VERSION: version });
      const expected = fixture(`${dir}/api-v1-index.json`);
      for (const url of ['/api/v1/', '/api/v1']) {
        const response = await get(app, url);
        assert.equal(response.status, 200, url);
        assertSameDocument(response.text, expected);
      }
    });

    test('the profile default version is the fixture version', async (t) => {
      const app = discoveryApp(t, { ...FIXTURE_ENV, BLOCKCAST_PROFILE: profile });
      assertSameDocument((await get(app, '/')).text, fixture(`${dir}/root-index.json`));
    });

    test('wss on 443 behind TLS termination: stream URLs keep :443, as base_ws_uri() prints them; version lands in docs URLs', async (t) => {
      const app = discoveryApp(t, {
        BLOCKCAST_PROFILE: profile,
        ADVERTISED_STREAMS_HOST: 'streams.example.com',
        ADVERTISED_STREAMS_PORT: '443',
        ADVERTISED_STREAMS_SCHEME: 'wss',
        SOFTWARE_VERSION: '9.8.7',
      });
      const published = JSON.stringify(fixture(`${dir}/root-index.json`));
      const expected = JSON.parse(
        published
          .replaceAll('ws://localhost:9985/', 'wss://streams.example.com:443/')
          .replaceAll(`/v${version}/`, '/v9.8.7/')
          .replace(`"version":"${version}"`, '"version":"9.8.7"'),
      );
      const root = JSON.parse((await get(app, '/')).text);
      assertSameDocument(JSON.stringify(root), expected);
      assert.equal(root.api.v1.streams, 'wss://streams.example.com:443/api/v1/streams/valid_transactions');
      assert.equal(
        root.docs,
        `https://docs.${profile === 'planetmint' ? 'planetmint.io' : 'bigchaindb.com'}/projects/server/en/v9.8.7/`,
      );
    });
  });
}

/**
 * BigchainDB's `base_ws_uri()` is `'{}://{}:{}'.format(scheme, host, port)`: the port is always
 * printed, the scheme's default (80, 443) included, and so it is here for every profile.
 */
describe('advertised stream URLs always carry the port', () => {
  const cases = [
    { scheme: 'ws', port: '80' },
    { scheme: 'ws', port: '443' },
    { scheme: 'wss', port: '80' },
    { scheme: 'wss', port: '443' },
    { scheme: 'wss', port: '8443' },
  ];
  for (const { scheme, port } of cases) {
    const origin = `${scheme}://streams.example.com:${port}`;
    const env = {
      ADVERTISED_STREAMS_HOST: 'streams.example.com',
      ADVERTISED_STREAMS_PORT: port,
      ADVERTISED_STREAMS_SCHEME: scheme,
    };

    test(`bigchaindb, ${scheme} on port ${port}: ${origin}/api/v1/streams/valid_transactions`, async (t) => {
      const app = discoveryApp(t, { ...env, BLOCKCAST_PROFILE: 'bigchaindb' });
      const apiV1 = JSON.parse((await get(app, '/api/v1/')).text);
      assert.equal(apiV1.streams, `${origin}/api/v1/streams/valid_transactions`);
      const root = JSON.parse((await get(app, '/')).text);
      assert.equal(root.api.v1.streams, `${origin}/api/v1/streams/valid_transactions`);
    });

    test(`planetmint, ${scheme} on port ${port}: streams and streamedblocks under ${origin}`, async (t) => {
      const app = discoveryApp(t, { ...env, BLOCKCAST_PROFILE: 'planetmint' });
      const apiV1 = JSON.parse((await get(app, '/api/v1/')).text);
      assert.equal(apiV1.streams, `${origin}/api/v1/streams/valid_transactions`);
      assert.equal(apiV1.streamedblocks, `${origin}/api/v1/streams/valid_blocks`);
    });

    test(`legacy, ${scheme} on port ${port}: both streams_v1 under ${origin}`, async (t) => {
      const app = discoveryApp(t, { ...env, BLOCKCAST_PROFILE: 'legacy' });
      assert.equal(JSON.parse((await get(app, '/')).text)._links.streams_v1, `${origin}/api/v1/streams/`);
      assert.equal(
        JSON.parse((await get(app, '/api/v1/')).text)._links.streams_v1,
        `${origin}/api/v1/streams/valid_tx`,
      );
    });

    test(`catalog, ${scheme} on port ${port}: every stream URL under ${origin}`, async (t) => {
      const app = discoveryApp(t, env);
      const catalog = JSON.parse((await get(app, '/api/v1/streams')).text);
      assert.equal(catalog.streams_root, `${origin}/api/v1/streams/`);
      for (const stream of catalog.streams) {
        assert.equal(stream.url, `${origin}/api/v1/streams/${stream.name}`);
      }
    });
  }

  test('an IPv6 host is bracketed', async (t) => {
    const app = discoveryApp(t, { ADVERTISED_STREAMS_HOST: '2001:db8::1' });
    assert.equal(
      JSON.parse((await get(app, '/api/v1/')).text).streams,
      'ws://[2001:db8::1]:9985/api/v1/streams/valid_transactions',
    );
  });
});

describe('profile legacy: the BigchainDB 0.10 documents', () => {
  test('GET / has _links {api_v1, docs, streams_v1}, keyring, public_key, software, version in that order', async (t) => {
    const app = discoveryApp(t, {
      BLOCKCAST_PROFILE: 'legacy',
      ADVERTISED_STREAMS_HOST: 'example.com',
      ADVERTISED_API_URL: 'https://api.example.com/',
      LEGACY_PUBLIC_KEY: 'AiygKSRhZWTxxYT4AfgKoTG4TZAoPsWoEt6C6bLq4jJR',
      LEGACY_KEYRING:
        '6qHyZew94NMmUTYyHnkZsB8cxJYuRNEiEpXHe1ih9QX3, AdDuyrTyjrDt935YnFu4VBCVDhHtY2Y6rcy7x2TFeiRi',
    });
    assertSameDocument((await get(app, '/')).text, {
      _links: {
        api_v1: 'https://api.example.com/api/v1/',
        docs: 'https://docs.bigchaindb.com/projects/server/en/v0.10.0/',
        streams_v1: 'ws://example.com:9985/api/v1/streams/',
      },
      keyring: [
        '6qHyZew94NMmUTYyHnkZsB8cxJYuRNEiEpXHe1ih9QX3',
        'AdDuyrTyjrDt935YnFu4VBCVDhHtY2Y6rcy7x2TFeiRi',
      ],
      public_key: 'AiygKSRhZWTxxYT4AfgKoTG4TZAoPsWoEt6C6bLq4jJR',
      software: 'BigchainDB',
      version: '0.10.0',
    });
  });

  test('GET /api/v1/ has the 0.10 _links, with streams_v1 the valid_tx stream itself', async (t) => {
    // Not started, so the port is only what ADVERTISED_API_URL defaults from.
    const app = discoveryApp(t, {
      BLOCKCAST_PROFILE: 'legacy',
      ADVERTISED_STREAMS_HOST: 'example.com',
      DISCOVERY_PORT: '9984',
    });
    assertSameDocument((await get(app, '/api/v1')).text, {
      _links: {
        docs: 'https://docs.bigchaindb.com/projects/server/en/v0.10.0/http-client-server-api.html',
        self: 'http://example.com:9984/api/v1/',
        statuses: 'http://example.com:9984/api/v1/statuses/',
        streams_v1: 'ws://example.com:9985/api/v1/streams/valid_tx',
        transactions: 'http://example.com:9984/api/v1/transactions/',
      },
    });
  });

  test('without a key configured, public_key is an empty string and keyring empty', async (t) => {
    const app = discoveryApp(t, { BLOCKCAST_PROFILE: 'legacy', DISCOVERY_PORT: '9984' });
    const root = JSON.parse((await get(app, '/')).text);
    assert.equal(root.public_key, '');
    assert.deepEqual(root.keyring, []);
    assert.equal(root._links.api_v1, 'http://localhost:9984/api/v1/');
  });
});
