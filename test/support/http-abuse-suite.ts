/**
 * What an HTTP service of blockcast owes every peer, run against ingest and discovery alike:
 * idle connections, slowloris headers, a trickled body and too many connections cannot keep
 * valid requests out, and each is closed within its configured time.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Env } from '@blockcast/common';
import { allClosedWithin, destroyAll, openIdle, openRaw, trickle } from './raw-connection.js';
import { rawRequest } from './raw-http.js';

export interface ServiceUnderAbuse {
  /** Environment prefix of the service's limits: `<prefix>_HEADERS_TIMEOUT_MS` and the rest. */
  prefix: 'INGEST' | 'DISCOVERY';
  /** Starts it on a free port with `env` on top of the test defaults; closed after the test. */
  start(t: TestContext, env: Env): Promise<{ port: number; validRequest(): Promise<number> }>;
  /** One whole valid HTTP/1.1 request as bytes on the wire (keep-alive). */
  rawRequest: string;
  /** The head of a request whose body is then trickled, and that body. */
  slowBody: { head: string; body: string };
  skip?: string | false;
}

/** Node checks the timeouts at an interval (a quarter of the headers timeout here), plus a busy CI machine. */
const SLACK_MS = 2000;

export function httpAbuseSuite(name: string, service: ServiceUnderAbuse): void {
  const { prefix } = service;
  const limits = (values: Record<string, number>): Env =>
    Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}_${key}`, String(value)]));

  describe(`${name} against idle and slow peers`, { skip: service.skip ?? false, timeout: 60_000 }, () => {
    test('1 100 idle connections without a request: valid requests get through, the idle ones close within the headers timeout', async (t) => {
      const { port, validRequest } = await service.start(
        t,
        limits({ HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 2000 }),
      );
      const idle = await openIdle(port, 1100);
      t.after(() => destroyAll(idle));
      const status = await validRequest();
      assert.ok(status >= 200 && status < 300, `a valid request among 1 100 idle connections: ${status}`);
      assert.ok(await allClosedWithin(idle, 1000 + SLACK_MS), 'every idle connection closed by the server');
    });

    test('headers sent a byte at a time are cut at the headers timeout', async (t) => {
      const { port } = await service.start(
        t,
        limits({ HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 10_000 }),
      );
      const connection = await openRaw(port);
      t.after(() => connection.socket.destroy());
      const head = `${service.rawRequest.split('\r\n\r\n')[0]}\r\nX-Padding: ${'p'.repeat(200)}\r\n\r\n`;
      // 50 ms a byte: the whole head would take over 10 s.
      const sent = await trickle(connection, head, 50);
      const closedAfter = await connection.closed;
      assert.ok(sent < head.length, `cut before the head was complete (${sent} of ${head.length} bytes)`);
      assert.ok(closedAfter < 1000 + SLACK_MS, `closed ${Math.round(closedAfter)} ms after connecting`);
    });

    test('a body trickled a byte at a time is cut at the request timeout', async (t) => {
      const { port } = await service.start(t, limits({ HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 2000 }));
      const connection = await openRaw(port);
      t.after(() => connection.socket.destroy());
      connection.socket.write(service.slowBody.head);
      const sent = await trickle(connection, service.slowBody.body, 50);
      const closedAfter = await connection.closed;
      assert.ok(sent < service.slowBody.body.length, `cut before the body was complete (${sent} bytes)`);
      assert.ok(closedAfter < 2000 + SLACK_MS, `closed ${Math.round(closedAfter)} ms after connecting`);
    });

    test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
      const { port } = await service.start(t, limits({ KEEP_ALIVE_TIMEOUT_MS: 300 }));
      const connection = await openRaw(port);
      t.after(() => connection.socket.destroy());
      connection.socket.write(service.rawRequest);
      const answered = performance.now();
      const closedAfter = await connection.closed;
      assert.match(connection.received, /^HTTP\/1\.1 2\d\d /, 'the request was answered');
      assert.match(connection.received, /keep-alive/i, 'and the connection kept open at first');
      assert.ok(
        performance.now() - answered < 300 + SLACK_MS,
        `closed ${Math.round(closedAfter)} ms after connecting`,
      );
    });

    test('over 16 KiB or 100 header fields is 431 HEADERS_TOO_LARGE with the JSON error: never a cut, never headers dropped', async (t) => {
      const { port } = await service.start(t, {});
      const request = (fields: string[]) => rawRequest(port, ['GET /api/v1/ HTTP/1.1', 'Host: x', ...fields]);
      const small = (count: number) => Array.from({ length: count - 1 }, (_, i) => `X-H${i}: 1`);
      for (const [shape, fields] of [
        ['2 000 small headers', small(2000)],
        ['101 small headers', small(101)],
        ['one 200 KB header', [`X-Big: ${'b'.repeat(200_000)}`]],
        ['one 17 KB header', [`X-Big: ${'b'.repeat(17_000)}`]],
      ] as const) {
        const response = await request([...fields]);
        assert.equal(response.status, 431, shape);
        assert.match(response.headers['content-type'] ?? '', /^application\/json/, shape);
        const body = JSON.parse(response.body) as { code: string; message: string };
        assert.equal(body.code, 'HEADERS_TOO_LARGE', shape);
        assert.match(body.message, /16384 bytes or 100 fields/, shape);
      }
      for (const [shape, fields] of [
        ['100 small headers', small(100)],
        ['one 15 KB header', [`X-Big: ${'b'.repeat(15_000)}`]],
      ] as const) {
        assert.notEqual((await request([...fields])).status, 431, shape);
      }
    });

    test('beyond MAX_CONNECTIONS a new connection is closed at once, and valid requests resume as idle ones time out', async (t) => {
      const { port, validRequest } = await service.start(
        t,
        limits({ MAX_CONNECTIONS: 20, HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 2000 }),
      );
      const idle = await openIdle(port, 20);
      t.after(() => destroyAll(idle));
      const extra = await openRaw(port);
      t.after(() => extra.socket.destroy());
      const closedAfter = await extra.closed;
      assert.ok(
        closedAfter < 1000,
        `the connection over the cap closed after ${Math.round(closedAfter)} ms, before any timeout`,
      );
      assert.equal(extra.received, '', 'without an answer');
      assert.ok(await allClosedWithin(idle, 1000 + SLACK_MS));
      const status = await validRequest();
      assert.ok(status >= 200 && status < 300, `valid again: ${status}`);
    });
  });
}
