import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import {
  detectTransport,
  FallbackTransportError,
  requireTransport,
} from '../../services/gateway/src/transport.js';
import { freePort } from '../support/redis.js';

const GATEWAY_MAIN = new URL('../../services/gateway/src/main.ts', import.meta.url).pathname;

/** Runs the gateway process entry until it exits or prints `until`; returns what it printed. */
function runGateway(
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_MAIN], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('the native uWS binary is what this machine loads', () => {
  assert.equal(detectTransport(), 'native');
});

test('the fallback export shape is recognised as the fallback', () => {
  const fallbackShape = {
    App: () => {},
    us_listen_socket_close: () => {},
    us_socket_local_port: () => 0,
    _cfg: () => {},
  };
  assert.equal(detectTransport(fallbackShape), 'fallback');
  assert.throws(() => requireTransport(false, fallbackShape), FallbackTransportError);
  assert.equal(requireTransport(true, fallbackShape), 'fallback');
});

test('the gateway process refuses to start when uWS falls back to its JS implementation', async () => {
  const port = await freePort();
  const opsPort = await freePort();
  const { code, output } = await runGateway({
    UWS_USE_FALLBACK: '1',
    GATEWAY_PORT: String(port),
    GATEWAY_OPS_PORT: String(opsPort),
    REDIS_URL: '',
  });
  assert.equal(code, 1);
  assert.match(output, /native uWebSockets\.js binary did not load/);
  assert.match(output, /GATEWAY_ALLOW_FALLBACK_TRANSPORT/);
});

test('with GATEWAY_ALLOW_FALLBACK_TRANSPORT=true it starts on the fallback and says so', async () => {
  const port = await freePort();
  const opsPort = await freePort();
  const { output } = await runGateway(
    {
      UWS_USE_FALLBACK: '1',
      GATEWAY_ALLOW_FALLBACK_TRANSPORT: 'true',
      GATEWAY_PORT: String(port),
      GATEWAY_OPS_PORT: String(opsPort),
      REDIS_URL: '',
    },
    /gateway listening/,
  );
  assert.match(output, /"transport":"fallback"/);
});

test('the gateway process names a bad variable and exits 1', async () => {
  const { code, output } = await runGateway({ GATEWAY_PORT: 'ninety', REDIS_URL: '' });
  assert.equal(code, 1);
  assert.match(output, /GATEWAY_PORT: expected an integer, got "ninety"/);
});
