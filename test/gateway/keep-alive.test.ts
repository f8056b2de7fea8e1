/**
 * Keep-alive: the gateway pings connections that are silent both ways, keeps the ones that answer,
 * and closes one that does not with 4009 and its resume position — a close frame, never a cut.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { CloseCode, positionIn } from '@blockcast/protocol';
import { forEachLog, startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

const IDLE_S = 1;

forEachLog('keep-alive', (log) => {
  test('the server pings an idle client (RFC 6455) and keeps a client that answers', async (t) => {
    const gateway = await startGateway(t, { log, config: { idleTimeoutSeconds: IDLE_S } });
    const client = await RecordingClient.connect(gateway.stream('valid_transactions'));
    let pings = 0;
    client.socket.on('ping', () => {
      pings += 1;
    });
    await delay(IDLE_S * 4000);
    assert.ok(pings >= 2, `pinged every idle period (${pings})`);
    assert.equal(client.socket.readyState, client.socket.OPEN, 'a client that answers pings stays connected');
    await client.close();
  });

  test('a peer that stops answering pings is closed with 4009 and its position, within two idle periods', async (t) => {
    const gateway = await startGateway(t, { log, config: { idleTimeoutSeconds: IDLE_S } });
    await gateway.commit(new DemoLedger().nextBlock(1));
    await waitUntil(() => gateway.app.height === 1, 5000, 'published');
    const started = Date.now();
    const silent = await RecordingClient.connect(gateway.stream('valid_blocks'), { autoPong: false });
    const closed = await silent.closed;
    const elapsed = Date.now() - started;
    assert.equal(closed.code, CloseCode.UNRESPONSIVE);
    assert.deepEqual(positionIn(closed.reason), { since: 1, epoch: gateway.app.epoch });
    assert.ok(elapsed >= IDLE_S * 2000 - 300, `not before a ping went unanswered (${elapsed} ms)`);
    assert.ok(elapsed <= IDLE_S * 2000 + 1500, `bounded: ${elapsed} ms`);
    await waitUntil(() => gateway.app.connections === 0, 2000, 'the gateway no longer counts it');
  });

  test('the 0.10 valid_tx stream gets no RFC pings: it keeps its own text-ping rule', async (t) => {
    const gateway = await startGateway(t, {
      log,
      config: { idleTimeoutSeconds: IDLE_S },
      legacyIdleTimeoutMs: 60_000,
    });
    const client = await RecordingClient.connect(gateway.stream('valid_tx'), { autoPong: false });
    let pinged = false;
    client.socket.on('ping', () => {
      pinged = true;
    });
    await delay(IDLE_S * 3000);
    assert.equal(pinged, false);
    assert.equal(client.socket.readyState, client.socket.OPEN);
    await client.close();
  });
});
