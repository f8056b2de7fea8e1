/**
 * How large an opening handshake may be (docs/protocol.md, "Handshake size"). The gateway refuses a
 * head over 4 096 bytes itself with 431 and the JSON error, whatever the uWS build; what the
 * transport does before the gateway sees a head differs between the two builds the gateway may
 * load (UWS_HEAD_LIMITS in services/gateway/src/transport/transport.ts names both): the Node 20 build keeps
 * a head that arrives in pieces in a 4 KiB buffer and parses at most 48 header fields, cutting the
 * connection past them; the image's 20.57 collects 32 KiB in any number of reads and parses 98
 * fields, answering its own 431 past them. This file asserts the limits of the build that loaded,
 * so it runs unchanged on the host (Node 20) and in the image's runtime (Node 24). Either way: up
 * to 4 096 bytes and 48 fields a client is upgraded; beyond 4 096 bytes, never.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { UWS_HEAD_LIMITS, UWS_LOADED_FROM } from '../../services/gateway/src/transport/transport.js';
import { startGateway } from '../support/gateway-harness.js';
import { openRaw } from '../support/raw-connection.js';
import { handshakeLines } from '../support/raw-http.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const LIMITS = UWS_HEAD_LIMITS[UWS_LOADED_FROM];
const BUILD = `uWS build ${UWS_LOADED_FROM}`;

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

/** The JSON 431 the gateway answers a head over 4 096 bytes with. */
function assertGatewayRefusal(outcome: Outcome, shape: string): void {
  assert.equal(outcome.status, 'HTTP/1.1 431 Request Header Fields Too Large', shape);
  const body = JSON.parse(outcome.body) as { code: string; message: string; limit_bytes: number };
  assert.equal(body.code, 'HEADERS_TOO_LARGE', shape);
  assert.equal(body.limit_bytes, 4096, shape);
  assert.match(body.message, /4096 bytes/, shape);
}

/**
 * What the transport does past its limits: the Node 20 build cuts without an answer, 20.57 answers
 * its own 431 with an HTML body. `merged`: pieces read together may reach the gateway whole, which
 * answers its JSON 431 instead. Never an upgrade.
 */
function assertTransportRefusal(outcome: Outcome, shape: string, merged = false): void {
  if (merged && outcome.status?.startsWith('HTTP/1.1 431 ') && outcome.body.startsWith('{')) {
    assertGatewayRefusal(outcome, shape);
  } else if (LIMITS.past === 'cut') {
    assert.equal(outcome.status, undefined, `${shape}: cut without an answer by ${BUILD}`);
  } else {
    assert.equal(outcome.status, 'HTTP/1.1 431 Request Header Fields Too Large', `${shape}: ${BUILD}`);
    assert.match(outcome.body, /^<h1>Request Header Fields Too Large<\/h1>/, `${shape}: uWS's own body`);
  }
}

test('a handshake head up to 4 096 bytes is upgraded, in one piece or several', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  for (const piece of [4096, 1000, 300]) {
    const outcome = await exchange(port, headOf(4096), piece);
    assert.equal(outcome.status, 'HTTP/1.1 101 Switching Protocols', `in pieces of ${piece}`);
  }
});

test('a head over 4 096 bytes that uWS hands on is refused with 431 HEADERS_TOO_LARGE and the JSON error', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const cases: [string, Buffer, number?][] = [
    ['4 097 bytes', headOf(4097)],
    [
      `${LIMITS.wholeHeadBytes} bytes in one read (the most ${BUILD} hands on whole)`,
      headOf(LIMITS.wholeHeadBytes),
    ],
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
  if (LIMITS.piecedHeadBytes > 4096) {
    // A build that collects more than 4 KiB across reads hands those heads on too.
    cases.push(['8 000 bytes in pieces of 1 000', headOf(8000), 1000]);
    cases.push([`${LIMITS.piecedHeadBytes} bytes in pieces of 1 000`, headOf(LIMITS.piecedHeadBytes), 1000]);
  }
  for (const [shape, head, piece] of cases) assertGatewayRefusal(await exchange(port, head, piece), shape);
});

test('a head larger than uWS collects is refused by uWS itself, never upgraded', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  for (const size of new Set([LIMITS.piecedHeadBytes + 1, 8000, 60_000])) {
    if (size <= LIMITS.piecedHeadBytes) continue;
    assertTransportRefusal(await exchange(port, headOf(size), 1000), `${size} bytes in pieces`, true);
  }
  // One 200 KB header: more than either build hands on from one read.
  assertTransportRefusal(
    await exchange(port, headWith([`X-Big: ${'b'.repeat(200_000)}`])),
    'one 200 KB header',
  );
});

test(`header fields up to the build's count are upgraded; one more never reaches the gateway`, async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const fields = (count: number) => smallFields(count - (REQUEST.length - 1));
  const upgraded = await exchange(port, headWith(fields(LIMITS.maxHeaderFields)));
  assert.equal(upgraded.status, 'HTTP/1.1 101 Switching Protocols', `${LIMITS.maxHeaderFields} fields`);
  // 2 000 small fields (about 23 KB): more than uWS keeps, refused at once.
  assertTransportRefusal(await exchange(port, headWith(fields(2000))), '2 000 small fields');
  // One field more in a small head: 20.57 answers at once; the Node 20 build waits for a head it
  // can parse and closes at its HTTP timeout (checked every 4 s).
  const started = performance.now();
  const over = await exchange(port, headWith(fields(LIMITS.maxHeaderFields + 1)));
  const closedAfter = performance.now() - started;
  assertTransportRefusal(over, `${LIMITS.maxHeaderFields + 1} fields`);
  const boundMs = (LIMITS.httpTimeoutS + 5) * 1000;
  assert.ok(
    closedAfter < boundMs,
    `${LIMITS.maxHeaderFields + 1} fields: closed after ${Math.round(closedAfter)} ms`,
  );
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
