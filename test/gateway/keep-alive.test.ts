import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

// uWS counts idle time in ~4 s ticks and its shortest useful idle timeout is 8 s.
const IDLE_TIMEOUT_S = 8;

let gateway: GatewayHarness;
before(async () => {
  gateway = await startGateway({ idleTimeoutSeconds: IDLE_TIMEOUT_S });
});
after(() => gateway.close());

test(
  'the server pings an idle client (RFC 6455) and keeps a client that answers',
  { timeout: 60_000 },
  async () => {
    const client = await RecordingClient.connect(`${gateway.url}/api/v1/streams/valid_transactions`);
    await new Promise<void>((resolve) => client.socket.once('ping', () => resolve()));
    await delay(IDLE_TIMEOUT_S * 1000);
    assert.equal(client.socket.readyState, client.socket.OPEN, 'a client that answers pings stays connected');
    await client.close();
  },
);

test('a peer that stops answering pings is closed by the server', { timeout: 60_000 }, async () => {
  const silent = await RecordingClient.connect(`${gateway.url}/api/v1/streams/valid_blocks`, {
    autoPong: false,
  });
  const closed = await silent.closed;
  assert.equal(closed.code, 1006, 'an unresponsive peer is cut, not closed politely');
  assert.equal(gateway.app.connections, 0, 'the gateway no longer counts it');
});
