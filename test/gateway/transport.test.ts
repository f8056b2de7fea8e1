import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startService } from '@blockcast/devkit';
import {
  detectTransport,
  FallbackTransportError,
  requireTransport,
} from '../../services/gateway/src/transport/transport.js';
import { freePort } from '../support/redis.js';

/** Runs the gateway process entry with `env` until it exits by itself. */
async function gatewayExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const gateway = startService('gateway', {
    env: {
      GATEWAY_PORT: String(await freePort()),
      GATEWAY_OPS_PORT: String(await freePort()),
      // Never reached: every case here must stop before connecting anywhere.
      REDIS_URL: 'redis://127.0.0.1:1',
      ...env,
    },
  });
  const timer = setTimeout(() => void gateway.stop(0), 15_000);
  const code = await gateway.exited;
  clearTimeout(timer);
  return { code, output: gateway.output() };
}

const fallbackShape = {
  App: () => ({}),
  us_listen_socket_close: () => {},
  us_socket_local_port: () => 0,
  _cfg: () => {},
};

test('the native uWS binary is what this machine loads', () => {
  assert.equal(detectTransport(), 'native');
});

test('the fallback export shape is recognised as the fallback and refused unless allowed', () => {
  assert.equal(detectTransport(fallbackShape), 'fallback');
  assert.throws(() => requireTransport(false, fallbackShape), FallbackTransportError);
});

test('an allowed fallback is probed: one that cannot publish is refused, one that can is used', () => {
  const notImplemented = () => {
    throw new Error('Not implemented');
  };
  const broken = {
    ...fallbackShape,
    App: () => ({ numSubscribers: notImplemented, publish: notImplemented }),
  };
  assert.throws(() => requireTransport(true, broken), /numSubscribers, publish not implemented/);
  const working = { ...fallbackShape, App: () => ({ numSubscribers: () => 0, publish: () => true }) };
  assert.equal(requireTransport(true, working), 'fallback');
});

// --no-addons: no native binary loads, as on a platform neither package has a build for.
const NO_NATIVE_BINARY = { NODE_OPTIONS: '--no-addons' };

test('the gateway process refuses to start when uWS falls back to its JS implementation', async () => {
  const { code, output } = await gatewayExit(NO_NATIVE_BINARY);
  assert.equal(code, 1);
  assert.match(output, /native uWebSockets\.js binary did not load/);
  assert.match(output, /GATEWAY_ALLOW_FALLBACK_TRANSPORT/);
});

test("even when allowed, the gateway refuses this package's fallback: it cannot serve streams", async () => {
  const { code, output } = await gatewayExit({
    ...NO_NATIVE_BINARY,
    GATEWAY_ALLOW_FALLBACK_TRANSPORT: 'true',
  });
  assert.equal(code, 1);
  assert.match(output, /fallback cannot serve streams: numSubscribers, publish not implemented/);
});

test('the gateway process names a bad variable and exits 1', async () => {
  const { code, output } = await gatewayExit({ GATEWAY_PORT: 'ninety' });
  assert.equal(code, 1);
  assert.match(output, /GATEWAY_PORT: expected an integer, got "ninety"/);
});

test('a bad LOG_LEVEL and a missing Redis each stop the process, naming the variable', async () => {
  const { code, output } = await gatewayExit({ REDIS_URL: '', LOG_LEVEL: 'loud' });
  assert.equal(code, 1);
  assert.match(output, /LOG_LEVEL: expected one of/, 'the bad log level is named first');
  const withoutRedis = await gatewayExit({ REDIS_URL: '' });
  assert.equal(withoutRedis.code, 1);
  assert.match(withoutRedis.output, /REDIS_URL: required for a gateway process/);
});
