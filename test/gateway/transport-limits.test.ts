/**
 * What the uWS transport does at its own limits, as documented: the last-resort backpressure
 * close (a cut, never a skipped frame), the 256 KiB message cap, and the listening modes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { freePort, waitUntil } from '@blockcast/devkit';
import { MemoryLog } from '@blockcast/event-log';
import { buildGatewayApp, loadGatewayConfig } from '@blockcast/gateway';
import { startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

test('the transport limit cuts a socket (1006), dropping frames first: so the config keeps it 8× above the soft limit', async (t) => {
  // Bypassing the config check on purpose: a flood inside one sweep meets uWS's limit first.
  const gateway = await startGateway(t, {
    config: { slowClientBytes: 16_384, maxBackpressureBytes: 65_536 },
  });
  const client = await RecordingClient.connect(gateway.stream('valid_transactions'));
  client.pause();
  const ledger = new DemoLedger();
  for (let i = 0; gateway.app.connections === 1 && i < 3000; i += 1)
    await gateway.commit(ledger.nextBlock(50));
  await waitUntil(() => gateway.app.connections === 0, 10_000, 'the transport to cut the socket');
  client.resume();
  assert.equal((await client.closed).code, 1006, 'a cut, not a close frame');
  assert.throws(
    () =>
      loadGatewayConfig({ GATEWAY_SLOW_CLIENT_BYTES: '1048576', GATEWAY_MAX_BACKPRESSURE_BYTES: '4194304' }),
    /GATEWAY_MAX_BACKPRESSURE_BYTES: must be at least 8 × GATEWAY_SLOW_CLIENT_BYTES/,
  );
  assert.equal(loadGatewayConfig({}).maxBackpressureBytes, 256 * 1024 * 1024);
});

test('a client message over the 256 KiB transport cap is cut by uWS without a close frame', async (t) => {
  const gateway = await startGateway(t);
  const client = await RecordingClient.connect(gateway.stream('valid_blocks'));
  client.socket.send('x'.repeat(300 * 1024));
  const closed = await client.closed;
  assert.equal(closed.code, 1006);
});

test('two gateways share a port by default; GATEWAY_EXCLUSIVE_PORT refuses a second one', async (t) => {
  const port = await freePort();
  const log = new MemoryLog();
  t.after(() => log.close());
  const build = (exclusivePort: boolean) =>
    buildGatewayApp({
      config: {
        ...loadGatewayConfig({}),
        host: '127.0.0.1',
        port,
        opsPort: 0,
        exclusivePort,
        drainDelayMs: 0,
      },
      log,
    });
  const first = build(false);
  const second = build(false);
  await first.start();
  await second.start();
  t.after(() => Promise.all([first.close(), second.close()]));
  const exclusive = build(true);
  await assert.rejects(exclusive.start(), /cannot listen/);
  await exclusive.close();
  await delay(10);
});
