/**
 * Drain on shutdown, as operators expect: readiness fails first, the gateway waits for the load
 * balancer, then closes sockets with 1001 and their resume position in paced batches, and close()
 * returns when they are gone — within the grace period, however many there are.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { CloseCode, positionIn } from '@blockcast/protocol';
import { startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

test('readiness fails at once, connections are kept through the delay, then closed with 1001 and their position, paced', async (t) => {
  const gateway = await startGateway(t, {
    config: { drainDelayMs: 600, drainRatePerSecond: 100, shutdownGraceMs: 10_000 },
  });
  const clients = await Promise.all(
    Array.from({ length: 60 }, () => RecordingClient.connect(gateway.stream('valid_blocks'))),
  );
  await gateway.commit(new DemoLedger().nextBlock(1));
  await Promise.all(clients.map((client) => client.waitForFrames(1)));

  const started = Date.now();
  const closing = gateway.app.close();
  const readiness = await fetch(`${gateway.opsUrl}/readyz`);
  assert.equal(readiness.status, 503, 'readiness fails first');
  assert.match(await readiness.text(), /draining/);
  // During the delay the load balancer may still send clients here: they are served.
  const late = await RecordingClient.connect(gateway.stream('valid_blocks'));
  assert.equal(gateway.app.connections, 61);

  const closedAt: number[] = [];
  const closes = await Promise.all(
    [...clients, late].map(async (client) => {
      const closed = await client.closed;
      closedAt.push(Date.now() - started);
      return closed;
    }),
  );
  await closing;
  const took = Date.now() - started;
  for (const closed of closes) {
    assert.equal(closed.code, CloseCode.DRAINING);
    assert.deepEqual(positionIn(closed.reason), { since: 1, epoch: gateway.app.epoch });
  }
  closedAt.sort((a, b) => a - b);
  assert.ok(closedAt[0]! >= 550, `no socket closed before the delay (first at ${closedAt[0]} ms)`);
  // 61 sockets at 100/s take about 0.6 s after the delay: paced, not all in one tick.
  assert.ok(closedAt.at(-1)! - closedAt[0]! >= 400, `spread over ${closedAt.at(-1)! - closedAt[0]!} ms`);
  assert.ok(took < 600 + 1000 + 1500, `close() is bounded (${took} ms)`);
  await assert.rejects(fetch(`${gateway.opsUrl}/readyz`), 'the ops port is closed after shutdown');
});

test('upgrades that arrive while the sockets are being closed are refused with 503 DRAINING', async (t) => {
  const gateway = await startGateway(t, {
    config: { drainDelayMs: 300, drainRatePerSecond: 10, shutdownGraceMs: 5000 },
  });
  const clients = await Promise.all(
    Array.from({ length: 10 }, () => RecordingClient.connect(gateway.stream('valid_blocks'))),
  );
  // A connection accepted before the listener closed (a load balancer's pooled one, say).
  const pooled = connect(Number(new URL(gateway.url).port), '127.0.0.1');
  await new Promise((resolve) => pooled.once('connect', resolve));
  const closing = gateway.app.close();
  // The first 1001 marks the end of the drain delay: sockets are now being closed.
  await Promise.race(clients.map((client) => client.closed));
  const answer = new Promise<string>((resolve) => {
    let text = '';
    pooled.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('}')) resolve(text);
    });
  });
  pooled.write(
    'GET /api/v1/streams/valid_blocks HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const response = await answer;
  assert.match(response, /^HTTP\/1.1 503/);
  assert.match(response, /"code":"DRAINING"/);
  pooled.destroy();
  await Promise.all(clients.map((client) => client.closed));
  await closing;
});

test('sockets still open when the grace period ends are cut, and close() returns on time', async (t) => {
  const gateway = await startGateway(t, {
    config: { drainDelayMs: 200, drainRatePerSecond: 1, shutdownGraceMs: 1200 },
  });
  const clients = await Promise.all(
    Array.from({ length: 20 }, () => RecordingClient.connect(gateway.stream('valid_blocks'))),
  );
  const started = Date.now();
  await gateway.app.close();
  const took = Date.now() - started;
  assert.ok(took >= 1100 && took < 2500, `close() took ${took} ms for a 1200 ms grace`);
  const closes = await Promise.all(clients.map((client) => client.closed));
  const drained = closes.filter((closed) => closed.code === CloseCode.DRAINING).length;
  assert.ok(drained >= 1 && drained < 20, `some were drained politely (${drained}), the rest cut`);
  await waitUntil(() => gateway.app.connections === 0, 2000, 'all gone');
});
