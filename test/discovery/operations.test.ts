import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discoveryApp, get, readFixture } from './support.js';

describe('over a real socket', () => {
  test('start() listens and fetch gets the root documents, CORS-readable from any origin', async (t) => {
    const app = discoveryApp(t, { ADVERTISED_STREAMS_HOST: 'localhost' });
    const { url } = await app.start();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const root = await fetch(`${url}/`, { headers: { origin: 'https://explorer.example.org' } });
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('access-control-allow-origin'), '*');
    assert.equal(
      JSON.stringify(await root.json()),
      JSON.stringify(await readFixture('bigchaindb-2/root-index.json')),
    );

    const apiV1 = await fetch(`${url}/api/v1`);
    assert.equal(
      JSON.stringify(await apiV1.json()),
      JSON.stringify(await readFixture('bigchaindb-2/api-v1-index.json')),
    );
  });

  test('close() stops listening', async (t) => {
    const app = discoveryApp(t);
    const { url } = await app.start();
    await app.close();
    await assert.rejects(fetch(`${url}/healthz`));
  });
});

describe('CORS', () => {
  test('a preflight is answered 204 allowing GET from any origin with the requested headers', async (t) => {
    const app = discoveryApp(t);
    const response = await app.fastify.inject({
      method: 'OPTIONS',
      url: '/api/v1/',
      headers: {
        origin: 'https://explorer.example.org',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-requested-with',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.match(String(response.headers['access-control-allow-methods']), /\bGET\b/);
    assert.equal(response.headers['access-control-allow-headers'], 'x-requested-with');
  });

  test('the catalog and 404s carry the header too, so browsers can read errors', async (t) => {
    const app = discoveryApp(t);
    assert.equal((await get(app, '/api/v1/streams')).headers['access-control-allow-origin'], '*');
    const missing = await get(app, '/api/v2/');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['access-control-allow-origin'], '*');
  });
});

describe('operations endpoints', () => {
  test('/healthz and /readyz answer 200 while serving', async (t) => {
    const app = discoveryApp(t);
    assert.deepEqual(JSON.parse((await get(app, '/healthz')).text), { status: 'ok' });
    const ready = await get(app, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.text), { status: 'ready' });
  });

  test('/metrics counts requests by route pattern, never by raw URL', async (t) => {
    const app = discoveryApp(t);
    await get(app, '/');
    await get(app, '/api/v1');
    await get(app, '/api/v1/');
    await get(app, '/no/such/page?x=1');
    const metrics = await get(app, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain/);
    // The value of the _count series carrying these labels, whatever order they are printed in.
    const count = (route: string, status: number) =>
      metrics.text
        .split('\n')
        .filter((line) => line.startsWith('blockcast_discovery_http_request_duration_seconds_count{'))
        .find((line) =>
          [`route="${route}"`, 'method="GET"', `status_code="${status}"`, 'service="discovery"'].every(
            (label) => line.includes(label),
          ),
        )
        ?.split(' ')[1];
    assert.equal(count('/', 200), '1');
    assert.equal(count('/api/v1/', 200), '2');
    assert.equal(count('unmatched', 404), '1');
    assert.doesNotMatch(metrics.text, /no\/such\/page/);
    assert.match(metrics.text, /^blockcast_discovery_process_cpu_seconds_total/m);
  });
});
