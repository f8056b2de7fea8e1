import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { fixture } from '../support/fixtures.js';
import { discoveryApp, get } from './support.js';

describe('over a real socket', () => {
  test('start() listens and fetch gets the root documents, CORS-readable from any origin', async (t) => {
    const app = discoveryApp(t, { ADVERTISED_STREAMS_HOST: 'localhost' });
    const { url, opsPort } = await app.start();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(opsPort > 0 && opsPort !== Number(new URL(url).port));

    const root = await fetch(`${url}/`, { headers: { origin: 'https://explorer.example.org' } });
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('access-control-allow-origin'), '*');
    assert.equal(JSON.stringify(await root.json()), JSON.stringify(fixture('bigchaindb-2/root-index.json')));

    const apiV1 = await fetch(`${url}/api/v1`);
    assert.equal(
      JSON.stringify(await apiV1.json()),
      JSON.stringify(fixture('bigchaindb-2/api-v1-index.json')),
    );
  });

  test('close() stops listening on the API port and the ops port', async (t) => {
    const app = discoveryApp(t);
    const { url, opsPort } = await app.start();
    await app.close();
    await assert.rejects(fetch(`${url}/`));
    await assert.rejects(fetch(`http://127.0.0.1:${opsPort}/healthz`));
  });

  test('an ops port already taken fails start() and leaves the API port closed', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as AddressInfo).port;
    const app = discoveryApp(t, { DISCOVERY_OPS_PORT: String(taken) });
    await assert.rejects(app.start(), /EADDRINUSE/);
    assert.equal(app.fastify.server.listening, false);
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

  test('the catalog carries the header too', async (t) => {
    const app = discoveryApp(t);
    assert.equal((await get(app, '/api/v1/streams')).headers['access-control-allow-origin'], '*');
  });
});

/** GET on the ops port (architecture §8): probes and metrics live there, not on the public API port. */
async function opsGet(opsPort: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${opsPort}${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('operations endpoints on DISCOVERY_OPS_PORT', () => {
  test('/healthz and /readyz answer 200 while serving', async (t) => {
    const app = discoveryApp(t);
    const { opsPort } = await app.start();
    const health = await opsGet(opsPort, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
    const ready = await opsGet(opsPort, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.text), { status: 'ready' });
  });

  test('the public API port serves no probes or metrics: 404 NOT_FOUND', async (t) => {
    const app = discoveryApp(t);
    const { url } = await app.start();
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND', path);
    }
  });

  test('while close() drains in-flight requests, /readyz answers 503 draining and /healthz stays 200', async (t) => {
    const app = discoveryApp(t);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.fastify.get('/test/slow', async () => {
      arrived();
      await held;
      return { done: true };
    });
    const { url, opsPort } = await app.start();
    const slow = fetch(`${url}/test/slow`);
    await inFlight;
    const closed = app.close();

    const ready = await opsGet(opsPort, '/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.text), { status: 'not ready', reason: 'draining' });
    assert.equal((await opsGet(opsPort, '/healthz')).status, 200);

    release();
    const answer = await slow;
    assert.equal(answer.headers.get('connection'), 'close', 'the keep-alive client is told to hang up');
    assert.deepEqual(await answer.json(), { done: true });
    const answered = performance.now();
    await closed;
    // Not fastify's 72 s keep-alive: the connection of the finished request does not hold close().
    assert.ok(
      performance.now() - answered < 1000,
      `close() took ${Math.round(performance.now() - answered)} ms more`,
    );
    await assert.rejects(fetch(`http://127.0.0.1:${opsPort}/readyz`));
  });

  test('close() with an idle keep-alive connection open resolves at once', async (t) => {
    const app = discoveryApp(t);
    const { url } = await app.start();
    // fetch keeps the connection open for the next request.
    assert.equal((await fetch(`${url}/api/v1/`)).status, 200);
    const started = performance.now();
    await app.close();
    assert.ok(
      performance.now() - started < 1000,
      `close() took ${Math.round(performance.now() - started)} ms`,
    );
  });

  test('a request still running when DISCOVERY_SHUTDOWN_GRACE_MS runs out is cut, and close() ends', async (t) => {
    const app = discoveryApp(t, { DISCOVERY_SHUTDOWN_GRACE_MS: '300' });
    let arrived: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.fastify.get('/test/forever', () => {
      arrived();
      return new Promise(() => {});
    });
    const { url } = await app.start();
    const stuck = fetch(`${url}/test/forever`);
    stuck.catch(() => {});
    await running;
    const started = performance.now();
    await app.close();
    const took = performance.now() - started;
    assert.ok(took >= 250 && took < 300 + 1000, `close() took ${Math.round(took)} ms for a 300 ms grace`);
    await assert.rejects(stuck, /fetch failed|other side closed/);
  });

  test('/metrics counts requests by route pattern, never by raw URL', async (t) => {
    const app = discoveryApp(t);
    const { opsPort } = await app.start();
    await get(app, '/');
    await get(app, '/api/v1');
    await get(app, '/api/v1/');
    await get(app, '/no/such/page?x=1');
    const metrics = await opsGet(opsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers.get('content-type')), /^text\/plain/);
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
