import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DemoLedger, waitUntil } from '@blockcast/devkit';
import { CloseCode } from '@blockcast/protocol';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

describe('connection rules', () => {
  let gateway: GatewayHarness;
  before(async () => {
    gateway = await startGateway({ maxPayloadBytes: 1024, maxConnections: 20 }, { legacyIdleTimeoutMs: 600 });
  });
  after(() => gateway.close());
  const stream = (name: string) => `${gateway.url}/api/v1/streams/${name}`;

  test('text "ping" is answered with "pong" on every stream', async () => {
    for (const name of ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions', 'events']) {
      const client = await RecordingClient.connect(stream(name));
      client.socket.send('ping');
      await client.waitForFrames(1);
      assert.deepEqual(client.frames, ['pong'], name);
      await client.close();
    }
  });

  test('other client messages are ignored and the stream goes on', async () => {
    const client = await RecordingClient.connect(stream('valid_blocks'));
    client.socket.send('hello');
    client.socket.send(Buffer.from([1, 2, 3]));
    client.socket.send('{"subscribe":"x"}');
    const block = new DemoLedger({ firstHeight: (gateway.app.height ?? 0) + 1 }).nextBlock(1);
    await gateway.commit(block);
    await client.waitForFrames(1);
    assert.equal(JSON.parse(client.frames[0]!).height, block.height);
    assert.equal(client.frames.length, 1, 'nothing but the block frame came back');
    await client.close();
  });

  test('a client message over the payload limit closes the connection with 1009', async () => {
    const client = await RecordingClient.connect(stream('valid_transactions'));
    client.socket.send('x'.repeat(4096));
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.TOO_BIG);
  });

  test('an unknown stream is refused at upgrade with 404 and a JSON error', async () => {
    const { status, body } = await refusedUpgrade(stream('valid_everything'));
    assert.equal(status, 404);
    assert.equal(body.code, 'UNKNOWN_STREAM');
  });

  test('a bad query parameter is refused at upgrade with 400 naming it', async () => {
    const profile = await refusedUpgrade(`${stream('valid_transactions')}?profile=ethereum`);
    assert.deepEqual(
      [profile.status, profile.body.code, profile.body.parameter],
      [400, 'INVALID_PARAMETER', 'profile'],
    );
    const types = await refusedUpgrade(`${stream('events')}?types=BLOCK_MAYBE`);
    assert.deepEqual([types.status, types.body.parameter], [400, 'types']);
    const since = await refusedUpgrade(`${stream('valid_transactions')}?since=5`);
    assert.deepEqual(
      [since.status, since.body.code, since.body.parameter],
      [400, 'PARAMETER_NOT_SUPPORTED', 'since'],
    );
  });

  test('a 0.10 valid_tx client that stops sending "ping" is closed; one that pings stays', async () => {
    const silent = await RecordingClient.connect(stream('valid_tx'));
    const pinging = await RecordingClient.connect(stream('valid_tx'));
    const timer = setInterval(() => pinging.socket.send('ping'), 150);
    const closed = await silent.closed;
    assert.equal(closed.code, CloseCode.NORMAL);
    assert.equal(pinging.socket.readyState, pinging.socket.OPEN, 'the pinging client is still connected');
    clearInterval(timer);
    await pinging.close();
  });

  test('connections beyond the per-process limit are closed with 1013', async () => {
    await waitUntil(() => gateway.app.connections === 0);
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => RecordingClient.connect(stream('valid_blocks'))),
    );
    const extra = await RecordingClient.connect(stream('valid_blocks'));
    assert.equal((await extra.closed).code, CloseCode.OVER_CAPACITY);
    assert.equal(gateway.app.connections, 20);
    await Promise.all(clients.map((client) => client.close()));
  });

  test('health, readiness and metrics on the ops port', async () => {
    assert.equal((await fetch(`${gateway.opsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${gateway.opsUrl}/readyz`)).status, 200);
    const metrics = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
    assert.match(metrics, /blockcast_gateway_blocks_total\{[^}]*\} \d+/);
    assert.match(metrics, /blockcast_gateway_transport_info\{kind="native"[^}]*\} 1/);
  });
});

describe('shutdown', () => {
  test('close() closes clients with 1001 naming the last height sent, then stops the ops port', async () => {
    const gateway = await startGateway();
    const client = await RecordingClient.connect(`${gateway.url}/api/v1/streams/valid_blocks`);
    // An empty log takes height 1 first (BLOCKCAST_FIRST_HEIGHT), so 41 blocks make the last height 41.
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 41 }, () => ledger.nextBlock(1)));
    await client.waitForFrames(41);
    const closing = gateway.close();
    const closed = await client.closed;
    await closing;
    assert.equal(closed.code, CloseCode.DRAINING);
    assert.equal(closed.reason, 'draining; last height sent 41');
    await assert.rejects(fetch(`${gateway.opsUrl}/readyz`), 'the ops port is closed after shutdown');
  });
});
