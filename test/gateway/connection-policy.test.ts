/**
 * Who may open a stream, refused before the upgrade with a JSON body: the Origin allow-list,
 * the connections per client address (through trusted proxies) and the handshake timeout.
 * Tokens are in token-auth.test.ts.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { MemoryLog } from '@blockcast/event-log';
import { type GatewayConfig, loadGatewayConfig } from '@blockcast/gateway';
import { UWS_HEAD_LIMITS, UWS_LOADED_FROM } from '../../services/gateway/src/transport/transport.js';
import { startGateway } from '../support/gateway-harness.js';
import { handshakeLines, rawRequest } from '../support/raw-http.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

/** The policy part of a config parsed from these variables. */
function policyFrom(env: Record<string, string>): Partial<GatewayConfig> {
  const { policy, auth } = loadGatewayConfig(env);
  return { policy, auth };
}

const ORIGINS = { GATEWAY_ALLOWED_ORIGINS: 'https://app.example,https://admin.example' };

test('an Origin in the allow-list is accepted; any other is refused with 403 ORIGIN_NOT_ALLOWED', async (t) => {
  const gateway = await startGateway(t, { config: policyFrom(ORIGINS) });
  const allowed = await RecordingClient.connect(gateway.stream('valid_blocks'), {
    origin: 'https://app.example',
  });
  await allowed.close();
  for (const origin of ['https://evil.example', 'https://app.example.evil', 'http://app.example', 'null']) {
    const refused = await refusedUpgrade(gateway.stream('valid_blocks'), { origin });
    assert.deepEqual([refused.status, refused.body.code], [403, 'ORIGIN_NOT_ALLOWED'], origin);
  }
  const caseChanged = await refusedUpgrade(gateway.stream('valid_blocks'), { origin: 'https://APP.example' });
  assert.equal(caseChanged.status, 403, 'the match is exact');
});

test('an upgrade without Origin (not a browser) is accepted unless GATEWAY_REQUIRE_ORIGIN is set', async (t) => {
  const open = await startGateway(t, { config: policyFrom(ORIGINS) });
  const client = await RecordingClient.connect(open.stream('valid_blocks'));
  await client.close();
  const strict = await startGateway(t, {
    config: policyFrom({ ...ORIGINS, GATEWAY_REQUIRE_ORIGIN: 'true' }),
  });
  const refused = await refusedUpgrade(strict.stream('valid_blocks'));
  assert.deepEqual([refused.status, refused.body.code], [403, 'ORIGIN_NOT_ALLOWED']);
  assert.match(String(refused.body.message), /requires an Origin/);
});

test('an address at GATEWAY_MAX_CONNECTIONS_PER_IP is refused with 429 until one of its connections closes', async (t) => {
  const gateway = await startGateway(t, { config: policyFrom({ GATEWAY_MAX_CONNECTIONS_PER_IP: '2' }) });
  const first = await RecordingClient.connect(gateway.stream('valid_blocks'));
  const second = await RecordingClient.connect(gateway.stream('events'));
  const refused = await refusedUpgrade(gateway.stream('valid_transactions'));
  assert.deepEqual([refused.status, refused.body.code], [429, 'TOO_MANY_CONNECTIONS']);
  assert.equal(refused.headers['retry-after'], '1');
  await first.close();
  const third = await RecordingClient.connect(gateway.stream('valid_transactions'));
  assert.equal(gateway.app.connections, 2);
  await Promise.all([second.close(), third.close()]);
});

test('behind a trusted proxy each forwarded client has its own limit, whatever it forged to the left', async (t) => {
  const gateway = await startGateway(t, {
    config: policyFrom({ GATEWAY_MAX_CONNECTIONS_PER_IP: '1', GATEWAY_TRUSTED_PROXIES: '127.0.0.0/8' }),
  });
  const as = (forwardedFor: string) => ({ headers: { 'x-forwarded-for': forwardedFor } });
  const alice = await RecordingClient.connect(gateway.stream('valid_blocks'), as('203.0.113.1'));
  const bob = await RecordingClient.connect(gateway.stream('valid_blocks'), as('203.0.113.2'));
  // Alice again, pretending to be someone else in the part of the header she writes herself.
  const forged = await refusedUpgrade(gateway.stream('valid_blocks'), as('198.51.100.9, 203.0.113.1'));
  assert.deepEqual([forged.status, forged.body.code], [429, 'TOO_MANY_CONNECTIONS']);
  await Promise.all([alice.close(), bob.close()]);
});

test('with GATEWAY_CLIENT_ADDRESS_HEADER=forwarded the client is read from Forwarded, and an X-Forwarded-For it sent is ignored', async (t) => {
  const gateway = await startGateway(t, {
    config: policyFrom({
      GATEWAY_MAX_CONNECTIONS_PER_IP: '1',
      GATEWAY_TRUSTED_PROXIES: '127.0.0.0/8',
      GATEWAY_CLIENT_ADDRESS_HEADER: 'forwarded',
    }),
  });
  const bob = await RecordingClient.connect(gateway.stream('valid_blocks'), {
    headers: { forwarded: 'for="203.0.113.2:5000"' },
  });
  const viaForwarded = await refusedUpgrade(gateway.stream('valid_blocks'), {
    headers: { forwarded: 'for=198.51.100.9, for="203.0.113.2:4000"', 'x-forwarded-for': '198.51.100.10' },
  });
  assert.equal(viaForwarded.status, 429, 'Forwarded names bob, whatever X-Forwarded-For says');
  await bob.close();
});

test('a proxy that adds its own X-Forwarded-For line after the client’s forged one is believed, not the client', async (t) => {
  const gateway = await startGateway(t, {
    config: policyFrom({ GATEWAY_MAX_CONNECTIONS_PER_IP: '1', GATEWAY_TRUSTED_PROXIES: '127.0.0.1' }),
  });
  const alice = await RecordingClient.connect(gateway.stream('valid_blocks'), {
    headers: { 'x-forwarded-for': '203.0.113.1' },
  });
  const port = Number(new URL(gateway.url).port);
  const response = await rawRequest(port, [
    ...handshakeLines('/api/v1/streams/valid_blocks'),
    'X-Forwarded-For: 198.51.100.9',
    'X-Forwarded-For: 203.0.113.1',
  ]);
  assert.equal(response.status, 429);
  await alice.close();
});

test('an untrusted peer’s forwarding headers are ignored: it is limited by its own address', async (t) => {
  const gateway = await startGateway(t, {
    config: policyFrom({ GATEWAY_MAX_CONNECTIONS_PER_IP: '1', GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8' }),
  });
  const first = await RecordingClient.connect(gateway.stream('valid_blocks'), {
    headers: { 'x-forwarded-for': '203.0.113.1' },
  });
  const second = await refusedUpgrade(gateway.stream('valid_blocks'), {
    headers: { 'x-forwarded-for': '203.0.113.2' },
  });
  assert.equal(second.status, 429, 'both are 127.0.0.1');
  await first.close();
});

test('an upgrade whose checks do not finish within GATEWAY_HANDSHAKE_TIMEOUT_MS is answered 503 HANDSHAKE_TIMEOUT', async (t) => {
  // An event log that stops answering once the gateway has started: the resume check waits on it.
  let hang = false;
  const log = new (class extends MemoryLog {
    override bounds() {
      return hang ? new Promise<never>(() => {}) : super.bounds();
    }
  })();
  t.after(() => log.close());
  const gateway = await startGateway(t, {
    eventLog: log,
    config: policyFrom({ GATEWAY_HANDSHAKE_TIMEOUT_MS: '300' }),
  });
  // One block, so the stream has an epoch to resume in.
  await gateway.commit(new DemoLedger().nextBlock(0));
  await waitUntil(() => gateway.app.height === 1, 5000, 'published');
  hang = true;
  const started = Date.now();
  const refused = await refusedUpgrade(gateway.resume('valid_blocks?since=5'));
  const tookMs = Date.now() - started;
  assert.deepEqual([refused.status, refused.body.code], [503, 'HANDSHAKE_TIMEOUT']);
  assert.ok(tookMs >= 250 && tookMs < 3000, `answered after ${tookMs} ms`);
});

test('a TCP connection that never completes its upgrade, silent or trickling headers, is closed by the gateway', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const closedAfter = (trickle: boolean) =>
    new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect(port, '127.0.0.1');
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        if (!trickle) return;
        socket.write('GET /api/v1/streams/valid_blocks HTTP/1.1\r\nHost: x\r\n');
        timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 1000);
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
    });
  const [silent, trickling] = await Promise.all([closedAfter(false), closedAfter(true)]);
  t.diagnostic(`silent closed after ${silent} ms, trickling after ${trickling} ms`);
  // uWS's fixed HTTP timeout of the build that loaded (docs/protocol.md), checked every 4 s: the
  // Node 20 build's 10 s, the image's 20.57's 30 s (closed after 29.3 s and 30.6 s in two runs).
  const bound = (UWS_HEAD_LIMITS[UWS_LOADED_FROM].httpTimeoutS + 5) * 1000;
  for (const ms of [silent, trickling]) assert.ok(ms < bound, `closed after ${ms} ms (within ${bound} ms)`);
});

test('a refused upgrade closes its TCP connection, so a refused client holds no descriptor', async (t) => {
  const gateway = await startGateway(t, { config: policyFrom(ORIGINS) });
  const port = Number(new URL(gateway.url).port);
  const ended = await new Promise<{ head: string; endedMs: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
    });
    socket.on('end', () => resolve({ head, endedMs: Date.now() - started }));
    socket.on('error', reject);
    socket.write(
      'GET /api/v1/streams/valid_blocks HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://evil.example\r\n\r\n',
    );
  });
  assert.match(ended.head, /^HTTP\/1\.1 403 /);
  assert.ok(ended.endedMs < 2000, `the gateway closed it after ${ended.endedMs} ms, not at its idle timeout`);
});
