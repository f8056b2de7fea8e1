/**
 * Private streams through the SDK on the real stack: a token that expires mid-stream (the gateway
 * closes with 1008 and the position) is replaced by the `getToken` callback and the stream goes on
 * with nothing lost; without any token the subscription ends with `refused` and the server's
 * JSON error, once, with no retry loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockcastClient, type Signal } from '@blockcast/client/node';
import { waitUntil } from '@blockcast/devkit';
import { SignJWT } from 'jose';
import { StackControl } from '../conformance/stack-control-client.js';
import { haproxyStackSkip } from '../support/haproxy.js';

const SECRET = 'correct-horse-battery-staple-0123456789';

function token(lifetimeS: number): Promise<string> {
  return new SignJWT({ sub: 'sdk-test' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeS)
    .sign(new TextEncoder().encode(SECRET));
}

test(
  'an expired token (1008) is replaced through getToken and the stream resumes without loss; no token at all is refused once',
  { ...haproxyStackSkip(), timeout: 300_000 },
  async (t) => {
    const control = new StackControl();
    t.after(() => control.stop());
    const stack = await control.start({ gateways: 2, env: { GATEWAY_JWT_SECRET: SECRET } });
    await control.send({ cmd: 'postBlocks', n: 2 });
    const { head } = await control.send<{ head: number }>({ cmd: 'awaitCatalog' });

    let refreshed = 0;
    const client = new BlockcastClient({
      apiRoot: stack.apiRoot,
      token: await token(3),
      getToken: async () => {
        refreshed += 1;
        return token(600);
      },
      backoff: { baseMs: 100, capMs: 1000 },
    });
    t.after(() => client.close());
    const frames: string[] = [];
    const closes: number[] = [];
    const signals: Signal[] = [];
    const subscription = client.subscribe('valid_blocks', {
      onEvent: (event) => void frames.push(event.text),
    });
    subscription.on('state', ({ state, code }) => {
      if (state === 'waiting' || (state === 'connecting' && code !== undefined)) closes.push(code ?? 0);
    });
    subscription.on('signal', (signal) => signals.push(signal));
    void subscription.start();
    await waitUntil(() => subscription.state === 'open', 30_000, 'connected');
    await control.send({ cmd: 'postBlocks', n: 2 });
    await waitUntil(() => refreshed > 0, 30_000, 'the token expiring and getToken being asked', 100);
    await control.send({ cmd: 'postBlocks', n: 3 });
    const owed = await control.framesAfter('valid_blocks', '', head);
    await waitUntil(() => frames.length >= owed.length, 60_000, `${owed.length} frames`, 100);
    assert.deepEqual(frames, owed, 'every block after the start, once, in order, across the token change');
    assert.equal(refreshed, 1, 'one new token for one expiry');
    assert.deepEqual(signals, [], 'no signal');

    const anonymous = new BlockcastClient({ apiRoot: stack.apiRoot });
    t.after(() => anonymous.close());
    const refused = anonymous.subscribe('valid_blocks', { onEvent: () => {} });
    let attempts = 0;
    refused.on('state', ({ state }) => {
      if (state === 'connecting') attempts += 1;
    });
    const ended = new Promise<Signal>((resolve) => refused.on('signal', resolve));
    void refused.start();
    const signal = await ended;
    assert.equal(signal.kind, 'refused');
    assert.ok(
      signal.kind === 'refused' && signal.status === 401 && signal.code === 'TOKEN_REQUIRED',
      JSON.stringify(signal),
    );
    assert.equal(attempts, 1, 'a refusal is not retried');
  },
);
