/**
 * The per-client limit behind a real HAProxy that appends `X-Forwarded-For` (`option forwardfor`,
 * as nginx's `$proxy_add_x_forwarded_for` does): whatever forwarding headers a client writes
 * itself, it is counted by the address the proxy saw. Clients connect from 127.0.0.2, HAProxy
 * reaches the gateway from 127.0.0.1, the one trusted proxy; HAProxy runs the lines docs/operations.md
 * gives operators.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { loadGatewayConfig } from '@blockcast/gateway';
import { startGateway } from '../support/gateway-harness.js';
import { haproxyInstalled, startHaproxy } from '../support/haproxy.js';
import { missing } from '../support/test-dependencies.js';
import { RecordingClient } from '../support/ws-client.js';

const LIMIT = 3;
const ATTEMPTS = 10;
const CLIENT_ADDRESS = '127.0.0.2';

const haproxySkip = haproxyInstalled() ? false : missing('haproxy', 'apt-get install -y haproxy').skip;

/** A gateway limited to LIMIT connections per client, trusting only 127.0.0.1, behind HAProxy; its stream URL. */
async function behindHaproxy(t: TestContext): Promise<string> {
  const { policy, auth } = loadGatewayConfig({
    GATEWAY_MAX_CONNECTIONS_PER_IP: String(LIMIT),
    GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
  });
  const gateway = await startGateway(t, { config: { policy, auth } });
  const haproxy = await startHaproxy({
    servers: [
      {
        name: 'gateway',
        port: Number(new URL(gateway.url).port),
        opsPort: Number(new URL(gateway.opsUrl).port),
      },
    ],
  });
  t.after(() => haproxy.stop());
  await haproxy.waitForState('gateway', 'UP');
  return `ws://127.0.0.1:${haproxy.port}/api/v1/streams/valid_blocks`;
}

/** Opens ATTEMPTS connections from one address, each with its own forged headers: how many were let in. */
async function attempt(url: string, forged: (i: number) => Record<string, string>) {
  const open: RecordingClient[] = [];
  const refusals: string[] = [];
  for (let i = 0; i < ATTEMPTS; i += 1) {
    try {
      open.push(await RecordingClient.connect(url, { localAddress: CLIENT_ADDRESS, headers: forged(i) }));
    } catch (error) {
      refusals.push((error as Error).message);
    }
  }
  await Promise.all(open.map((client) => client.close()));
  return { accepted: open.length, refusals: [...new Set(refusals)] };
}

describe('behind HAProxy with option forwardfor', { skip: haproxySkip }, () => {
  test('a client forging Forwarded: for=… gets no more than the per-IP limit', async (t) => {
    const url = await behindHaproxy(t);
    const { accepted, refusals } = await attempt(url, (i) => ({ forwarded: `for=198.51.100.${i + 1}` }));
    assert.equal(accepted, LIMIT, `${accepted} of ${ATTEMPTS} upgrades accepted with a limit of ${LIMIT}`);
    assert.deepEqual(refusals, ['upgrade refused with HTTP 429']);
  });

  test('a client forging X-Forwarded-For gets no more than the per-IP limit', async (t) => {
    const url = await behindHaproxy(t);
    const { accepted, refusals } = await attempt(url, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}` }));
    assert.equal(accepted, LIMIT, `${accepted} of ${ATTEMPTS} upgrades accepted with a limit of ${LIMIT}`);
    assert.deepEqual(refusals, ['upgrade refused with HTTP 429']);
  });
});
