import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { CloseCode, MAX_FILTER_VALUES, positionIn } from '@blockcast/protocol';
import { forEachLog, startGateway } from '../support/gateway-harness.js';
import { rawRequest } from '../support/raw-http.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const KEY = '3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w';

forEachLog('connection rules', (log) => {
  test('text "ping" is answered with "pong" on every stream', async (t) => {
    const gateway = await startGateway(t, { log });
    for (const name of ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions', 'events']) {
      const client = await RecordingClient.connect(gateway.stream(name));
      client.socket.send('ping');
      await client.waitForFrames(1);
      assert.deepEqual(client.frames, ['pong'], name);
      await client.close();
    }
  });

  test('other client messages are ignored and the stream goes on', async (t) => {
    const gateway = await startGateway(t, { log });
    const client = await RecordingClient.connect(gateway.stream('valid_blocks'));
    client.socket.send('hello');
    client.socket.send(Buffer.from([1, 2, 3]));
    client.socket.send('{"subscribe":"x"}');
    const block = new DemoLedger().nextBlock(1);
    await gateway.commit(block);
    await client.waitForFrames(1);
    assert.equal(JSON.parse(client.frames[0]!).height, block.height);
    assert.equal(client.frames.length, 1, 'nothing but the block frame came back');
    await client.close();
  });

  test('a client message over the payload limit closes the connection with 1009 and its position', async (t) => {
    const gateway = await startGateway(t, { log, config: { maxPayloadBytes: 1024 } });
    const client = await RecordingClient.connect(gateway.stream('valid_transactions'));
    client.socket.send('x'.repeat(4096));
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.TOO_BIG);
    assert.equal(positionIn(closed.reason)?.since, 0);
  });

  test('an unknown stream is 404 UNKNOWN_STREAM; any other path is 404 NOT_FOUND', async (t) => {
    const gateway = await startGateway(t, { log });
    const { status, body } = await refusedUpgrade(gateway.stream('valid_everything'));
    assert.deepEqual([status, body.code], [404, 'UNKNOWN_STREAM']);
    const other = await fetch(`${gateway.url.replace('ws:', 'http:')}/api/v2/nothing`);
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { code: string }).code, 'NOT_FOUND');
  });

  test('bad parameter values are refused at upgrade with 400 naming the parameter', async (t) => {
    const gateway = await startGateway(t, { log });
    const cases: [string, string, string][] = [
      ['valid_transactions?profile=ethereum', 'INVALID_PARAMETER', 'profile'],
      ['events?types=BLOCK_MAYBE', 'INVALID_PARAMETER', 'types'],
      ['events?types=1024', 'INVALID_PARAMETER', 'types'],
      ['valid_blocks?since=12-3', 'INVALID_PARAMETER', 'since'],
      ['events?since=12-', 'INVALID_PARAMETER', 'since'],
      [`events?types=NODE_STATUS&public_key=${KEY}`, 'PARAMETER_NOT_APPLICABLE', 'public_key'],
      ['events?types=0', 'INVALID_PARAMETER', 'types'],
      // Masks are 32-bit: these would wrap to 1, 4, 1 and -1 (all).
      ['events?types=4294967297', 'INVALID_PARAMETER', 'types'],
      ['events?types=4294967300', 'INVALID_PARAMETER', 'types'],
      ['events?types=-4294967295', 'INVALID_PARAMETER', 'types'],
      ['events?types=4294967295', 'INVALID_PARAMETER', 'types'],
      ['events?types=2147483648', 'INVALID_PARAMETER', 'types'],
      ['events?types=99999999999999999999', 'INVALID_PARAMETER', 'types'],
      ['events?types=toString', 'INVALID_PARAMETER', 'types'],
      ['events?types=constructor', 'INVALID_PARAMETER', 'types'],
      ['valid_blocks?since=-1', 'INVALID_PARAMETER', 'since'],
      ['valid_blocks?since=12abc', 'INVALID_PARAMETER', 'since'],
      ['valid_blocks?since=1&since=2', 'INVALID_PARAMETER', 'since'],
      ['valid_blocks?since=1&epoch=no%20spaces', 'INVALID_PARAMETER', 'epoch'],
      ['valid_transactions?public_key=not-base58!', 'INVALID_PARAMETER', 'public_key'],
      ['valid_transactions?public_key=3u6SJvYCg4Zr4e3D', 'INVALID_PARAMETER', 'public_key'],
      ['valid_transactions?asset_id=ABCDEF', 'INVALID_PARAMETER', 'asset_id'],
      [`valid_transactions?asset_id=${'A'.repeat(64)}`, 'INVALID_PARAMETER', 'asset_id'],
      ['invalid_transactions?operation=DELETE', 'INVALID_PARAMETER', 'operation'],
      // Short values: 101 real keys would not fit in a handshake (4 096 bytes; 431 HEADERS_TOO_LARGE).
      [
        `events?public_key=${Array.from({ length: MAX_FILTER_VALUES + 1 }, () => 'k').join(',')}`,
        'INVALID_PARAMETER',
        'public_key',
      ],
      [`valid_blocks?public_key=${KEY}`, 'PARAMETER_NOT_APPLICABLE', 'public_key'],
      ['valid_tx?operation=CREATE', 'PARAMETER_NOT_APPLICABLE', 'operation'],
      ['valid_transactions?types=1', 'PARAMETER_NOT_APPLICABLE', 'types'],
      ['events?profile=planetmint', 'PARAMETER_NOT_APPLICABLE', 'profile'],
    ];
    for (const [path, code, parameter] of cases) {
      const refused = await refusedUpgrade(gateway.stream(path));
      assert.deepEqual(
        [refused.status, refused.body.code, refused.body.parameter],
        [400, code, parameter],
        path,
      );
      assert.ok(String(refused.body.message).length > 10, path);
    }
  });

  test('masks and name lists that select known types, and unknown parameters, are accepted', async (t) => {
    const gateway = await startGateway(t, { log });
    for (const path of [
      'events?types=1',
      'events?types=2',
      'events?types=3',
      'events?types=-1',
      'events?types=-2',
      'events?types=2147483647',
      'events?types=5',
      'events?types=BLOCK_VALID|BLOCK_INVALID',
      'events?types=BLOCK_INVALID,BLOCK_VALID',
      'events?types=all',
      'valid_blocks?cachebuster=123',
      `events?types=1&public_key=${KEY}&operation=CREATE,TRANSFER`,
    ]) {
      const client = await RecordingClient.connect(gateway.stream(path));
      await client.close();
    }
  });

  test('a 0.10 valid_tx client that stops sending "ping" is closed with 1000 and its position; one that pings stays', async (t) => {
    const gateway = await startGateway(t, { log, legacyIdleTimeoutMs: 600 });
    const silent = await RecordingClient.connect(gateway.stream('valid_tx'));
    const pinging = await RecordingClient.connect(gateway.stream('valid_tx'));
    const timer = setInterval(() => pinging.socket.send('ping'), 150);
    const closed = await silent.closed;
    assert.equal(closed.code, CloseCode.NORMAL);
    assert.equal(positionIn(closed.reason)?.since, 0);
    assert.equal(pinging.socket.readyState, pinging.socket.OPEN, 'the pinging client is still connected');
    clearInterval(timer);
    await pinging.close();
  });

  test('connections beyond the per-process limit are closed with 1013 and the position they asked for', async (t) => {
    const gateway = await startGateway(t, { log, config: { maxConnections: 5 } });
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => RecordingClient.connect(gateway.stream('valid_blocks'))),
    );
    const extra = await RecordingClient.connect(gateway.stream('valid_blocks?since=0'));
    const closed = await extra.closed;
    assert.equal(closed.code, CloseCode.OVER_CAPACITY);
    assert.equal(positionIn(closed.reason)?.since, 0);
    assert.equal(gateway.app.connections, 5);
    await Promise.all(clients.map((client) => client.close()));
  });

  test('health, readiness and metrics on the ops port', async (t) => {
    const gateway = await startGateway(t, { log });
    assert.equal((await fetch(`${gateway.opsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${gateway.opsUrl}/readyz`)).status, 200);
    const metrics = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
    assert.match(metrics, /blockcast_gateway_blocks_total\{[^}]*\} \d+/);
    assert.match(metrics, /blockcast_gateway_transport_info\{kind="native"[^}]*\} 1/);
  });
});

test('opening handshakes RFC 6455 says to refuse are refused, with the status it names', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const request = (headers: string[]) =>
    rawRequest(port, ['GET /api/v1/streams/valid_blocks HTTP/1.1', 'Host: 127.0.0.1', ...headers]);
  const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
  const good = ['Upgrade: websocket', 'Connection: Upgrade', key, 'Sec-WebSocket-Version: 13'];

  const accepted = await request(good);
  assert.equal(accepted.status, 101);

  const noKey = await request(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13']);
  assert.deepEqual([noKey.status, JSON.parse(noKey.body).code], [400, 'BAD_HANDSHAKE']);

  for (const version of ['8', '14', '']) {
    const wrong = await request([
      'Upgrade: websocket',
      'Connection: Upgrade',
      key,
      `Sec-WebSocket-Version: ${version}`,
    ]);
    assert.equal(wrong.status, 426, `version "${version}"`);
    assert.equal(wrong.headers['sec-websocket-version'], '13');
  }
  const noUpgrade = await request(['Connection: Upgrade', key, 'Sec-WebSocket-Version: 13']);
  assert.equal(noUpgrade.status, 400);
  const h2c = await request(['Upgrade: h2c', 'Connection: Upgrade', key, 'Sec-WebSocket-Version: 13']);
  assert.equal(h2c.status, 400);
  const noConnection = await request(['Upgrade: websocket', key, 'Sec-WebSocket-Version: 13']);
  assert.equal(noConnection.status, 400);
  for (const badKey of ['not base64!', 'c2hvcnQ=', 'dGhpcyBpcyB0b28gbG9uZyBhIG5vbmNl']) {
    const bad = await request([
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${badKey}`,
      'Sec-WebSocket-Version: 13',
    ]);
    assert.equal(bad.status, 400, `key "${badKey}"`);
  }

  const subprotocol = await request([...good, 'Sec-WebSocket-Protocol: mqtt, graphql-ws']);
  assert.equal(subprotocol.status, 101);
  assert.equal(subprotocol.headers['sec-websocket-protocol'], undefined, 'no subprotocol is echoed back');

  const plain = await request([]);
  assert.equal(plain.status, 426, 'a plain GET on a stream is told to upgrade');
  assert.equal(plain.headers.upgrade, 'websocket');
});
