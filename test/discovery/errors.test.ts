import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import type { DiscoveryApp, ErrorCode } from '@blockcast/discovery';
import { discoveryApp } from './support.js';

/**
 * Every error is `{ code, message }` — exactly those two keys, a stable code — never fastify's
 * `{ statusCode, error, message }`, and carries the CORS header so a browser can read it.
 */
async function assertError(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: ErrorCode,
): Promise<{ code: string; message: string }> {
  assert.equal(response.statusCode, status);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.headers['access-control-allow-origin'], '*');
  const body = JSON.parse(response.body) as { code: string; message: string };
  assert.deepEqual(Object.keys(body), ['code', 'message']);
  assert.equal(body.code, code);
  assert.ok(body.message.length > 0);
  return body;
}

/** Injects through fastify (the whole hook chain, CORS included) without a socket. */
async function inject(
  app: DiscoveryApp,
  options: {
    method: 'GET' | 'POST' | 'DELETE' | 'OPTIONS';
    url: string;
    headers?: Record<string, string>;
    payload?: string | object;
  },
) {
  const response = await app.fastify.inject(options);
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}

describe('error responses: { code, message }', () => {
  test('an unknown path is 404 NOT_FOUND pointing at the API root and the catalog', async (t) => {
    const app = discoveryApp(t);
    for (const url of ['/api/v2/', '/api/v1/transactions/abc', '/no/such/page?x=1']) {
      const body = await assertError(await inject(app, { method: 'GET', url }), 404, 'NOT_FOUND');
      assert.match(body.message, /\/api\/v1\//);
      assert.match(body.message, /\/api\/v1\/streams/);
    }
  });

  test('a method no route has is 404 NOT_FOUND too', async (t) => {
    const app = discoveryApp(t);
    await assertError(await inject(app, { method: 'POST', url: '/api/v1/', payload: {} }), 404, 'NOT_FOUND');
    await assertError(await inject(app, { method: 'DELETE', url: '/' }), 404, 'NOT_FOUND');
  });

  test('a thrown error is 500 INTERNAL and its message is logged, not sent', async (t) => {
    const app = discoveryApp(t);
    app.fastify.get('/test/boom', async () => {
      throw new Error('secret detail from inside');
    });
    const response = await inject(app, { method: 'GET', url: '/test/boom' });
    const body = await assertError(response, 500, 'INTERNAL');
    assert.doesNotMatch(body.message, /secret/);
  });

  test('client errors fastify raises keep their status with a stable code', async (t) => {
    const app = discoveryApp(t);
    const badJson = await inject(app, {
      method: 'OPTIONS',
      url: '/api/v1/',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    await assertError(badJson, 400, 'BAD_REQUEST');
    const unknownType = await inject(app, {
      method: 'OPTIONS',
      url: '/api/v1/',
      headers: { 'content-type': 'text/x-unknown' },
      payload: 'x',
    });
    await assertError(unknownType, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a URL that cannot be decoded is 400 BAD_REQUEST', async (t) => {
    const app = discoveryApp(t);
    await assertError(await inject(app, { method: 'OPTIONS', url: '/api/v1/%E0%A4%A' }), 400, 'BAD_REQUEST');
  });

  test('malformed HTTP on the socket is answered 400 BAD_REQUEST in the same shape', async (t) => {
    const app = discoveryApp(t);
    const { url } = await app.start();
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let data = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('error', reject).on('close', () => resolve(data));
      socket.write('NOT HTTP AT ALL\r\n\r\n');
    });
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(head, /\r\naccess-control-allow-origin: \*/i);
    assert.match(head, /\r\ncontent-type: application\/json/i);
    assert.deepEqual(JSON.parse(body), { code: 'BAD_REQUEST', message: 'malformed HTTP request' });
  });
});
