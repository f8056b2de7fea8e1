/**
 * How large an opening handshake may be (docs/protocol.md, "Handshake size"). The pinned uWS build
 * parses at most 48 header fields, and keeps a head that arrives in several reads in a 4 KiB
 * buffer, cutting the connection past it; a head that arrives in one read it parses whatever its
 * size. The gateway refuses heads over the same 4 KiB itself with 431, so what a client gets does
 * not depend on how TCP split its request: up to 4 096 bytes and 48 fields it is upgraded; beyond,
 * never.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startGateway } from '../support/gateway-harness.js';
import { openRaw } from '../support/raw-connection.js';
import { handshakeLines } from '../support/raw-http.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const REQUEST = handshakeLines('/api/v1/streams/valid_blocks');

/** The handshake with `fields` more header lines, as bytes on the wire. */
const headWith = (fields: string[]) => Buffer.from(`${[...REQUEST, ...fields].join('\r\n')}\r\n\r\n`);

/** The handshake padded with one `X-Padding` header to exactly `bytes` bytes. */
function headOf(bytes: number): Buffer {
  const padding = bytes - headWith(['X-Padding: ']).length;
  const head = headWith([`X-Padding: ${'p'.repeat(padding)}`]);
  assert.equal(head.length, bytes);
  return head;
}

/** `count` small header fields: `X-F0: 1` … */
const smallFields = (count: number) => Array.from({ length: count }, (_, i) => `X-F${i}: 1`);

interface Outcome {
  /** The status line, or undefined when the connection was closed without an answer. */
  status: string | undefined;
  body: string;
}

/**
 * Sends `head` in pieces of `piece` bytes, each written once the previous one has left (so the
 * gateway reads them separately), and resolves with the answer or the close without one.
 */
async function exchange(port: number, head: Buffer, piece = head.length): Promise<Outcome> {
  const connection = await openRaw(port);
  connection.socket.setNoDelay(true);
  const answered = new Promise<void>((resolve) => {
    connection.socket.on('data', () => {
      if (connection.received.includes('\r\n\r\n')) resolve();
    });
  });
  let closed = false;
  void connection.closed.then(() => {
    closed = true;
  });
  for (let at = 0; at < head.length && !closed; at += piece) {
    await new Promise<void>((resolve) =>
      connection.socket.write(head.subarray(at, at + piece), () => resolve()),
    );
    // Loopback delivers a write at once; a pause between pieces keeps them separate reads.
    if (at + piece < head.length) await delay(20);
  }
  await Promise.race([answered, connection.closed]);
  connection.socket.destroy();
  const [statusLine, ...rest] = connection.received.split('\r\n');
  return {
    status: connection.received === '' ? undefined : statusLine,
    body: rest.join('\r\n').split('\r\n\r\n')[1] ?? '',
  };
}

test('a handshake head up to 4 096 bytes is upgraded, in one piece or several', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  for (const piece of [4096, 1000, 300]) {
    const outcome = await exchange(port, headOf(4096), piece);
    assert.equal(outcome.status, 'HTTP/1.1 101 Switching Protocols', `in pieces of ${piece}`);
  }
});

test('a head over 4 096 bytes that arrives whole is refused with 431 HEADERS_TOO_LARGE and the JSON error', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const cases: [string, Buffer][] = [
    ['4 097 bytes', headOf(4097)],
    ['one 100 KB header', headWith([`X-Big: ${'b'.repeat(100_000)}`])],
    [
      '40 headers of 200 bytes',
      headWith(Array.from({ length: 40 }, (_, i) => `X-M${i}: ${'m'.repeat(200)}`)),
    ],
    [
      'a plain GET (no upgrade) of 5 000 bytes',
      Buffer.from(
        `GET /api/v1/streams/valid_blocks HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(5000)}\r\n\r\n`,
      ),
    ],
  ];
  for (const [shape, head] of cases) {
    const outcome = await exchange(port, head);
    assert.equal(outcome.status, 'HTTP/1.1 431 Request Header Fields Too Large', shape);
    const body = JSON.parse(outcome.body) as { code: string; message: string; limit_bytes: number };
    assert.equal(body.code, 'HEADERS_TOO_LARGE', shape);
    assert.equal(body.limit_bytes, 4096, shape);
    assert.match(body.message, /4096 bytes/, shape);
  }
});

test('a head over 4 096 bytes that arrives in pieces is cut by uWS without an answer, never upgraded', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  for (const size of [4097, 8000, 60_000]) {
    const outcome = await exchange(port, headOf(size), 1000);
    // Two pieces read together arrive whole, and the gateway answers 431 instead: never a 101.
    assert.ok(
      outcome.status === undefined || outcome.status.startsWith('HTTP/1.1 431 '),
      `${size} bytes in pieces: ${outcome.status}`,
    );
  }
});

test('48 header fields are upgraded; with 49 or more uWS never passes the request on', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const upgraded = await exchange(port, headWith(smallFields(48 - (REQUEST.length - 1))));
  assert.equal(upgraded.status, 'HTTP/1.1 101 Switching Protocols', '48 fields');
  // 2 000 small fields (about 23 KB): more than uWS keeps, cut at once without an answer.
  const many = await exchange(port, headWith(smallFields(2000)));
  assert.equal(many.status, undefined, '2 000 small fields');
  // One 200 KB header: more than uWS reads at once, cut without an answer.
  const huge = await exchange(port, headWith([`X-Big: ${'b'.repeat(200_000)}`]));
  assert.equal(huge.status, undefined, 'one 200 KB header');
  // 49 fields in a small head: uWS waits for a head it can parse and closes at its 10 s HTTP timeout.
  const started = performance.now();
  const over = await exchange(port, headWith(smallFields(49 - (REQUEST.length - 1))));
  const closedAfter = performance.now() - started;
  assert.equal(over.status, undefined, '49 fields');
  assert.ok(closedAfter < 15_000, `49 fields: closed after ${Math.round(closedAfter)} ms`);
});

test('filter lists as long as docs/protocol.md says fit in a handshake; the 100 values the catalog allows do not', async (t) => {
  const gateway = await startGateway(t);
  const key = '3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w';
  const assetId = 'a'.repeat(64);
  const list = (value: string, count: number) => Array.from({ length: count }, () => value).join(',');
  for (const path of [
    `valid_transactions?public_key=${list(key, 80)}`,
    `valid_transactions?asset_id=${list(assetId, 55)}`,
  ]) {
    const client = await RecordingClient.connect(gateway.stream(path));
    await client.close();
  }
  for (const path of [
    `valid_transactions?public_key=${list(key, 100)}`,
    `valid_transactions?asset_id=${list(assetId, 100)}`,
  ]) {
    const refused = await refusedUpgrade(gateway.stream(path));
    assert.deepEqual([refused.status, refused.body.code], [431, 'HEADERS_TOO_LARGE']);
  }
});
