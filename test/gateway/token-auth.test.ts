/**
 * JWT authentication of private streams: HS256 with a secret or RS256/ES256 with a key set from
 * a file; refused before the upgrade with 401, closed with 1008 and the resume position when the
 * token expires, and the token never in a log line or a refusal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@blockcast/common';
import { makeBlock, waitUntil } from '@blockcast/devkit';
import { MemoryLog } from '@blockcast/event-log';
import { buildGatewayApp, type GatewayConfig, loadGatewayConfig } from '@blockcast/gateway';
import { CloseCode, normaliseBlock, positionIn } from '@blockcast/protocol';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { startGateway } from '../support/gateway-harness.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const SECRET = 'correct-horse-battery-staple-0123456789';

function authFrom(env: Record<string, string>): Partial<GatewayConfig> {
  return { auth: loadGatewayConfig(env).auth };
}

const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: JWTPayload = {}, secret = SECRET): Promise<string> {
  return new SignJWT({ sub: 'client-1', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(claims.exp ?? now() + 600)
    .sign(new TextEncoder().encode(secret));
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test('a private stream without a token is refused with 401 TOKEN_REQUIRED and WWW-Authenticate', async (t) => {
  const gateway = await startGateway(t, { config: authFrom({ GATEWAY_JWT_SECRET: SECRET }) });
  const refused = await refusedUpgrade(gateway.stream('valid_blocks'));
  assert.deepEqual([refused.status, refused.body.code], [401, 'TOKEN_REQUIRED']);
  assert.equal(refused.headers['www-authenticate'], 'Bearer');
});

test('a valid HS256 token opens a private stream from the Authorization header or the access_token parameter', async (t) => {
  const gateway = await startGateway(t, { config: authFrom({ GATEWAY_JWT_SECRET: SECRET }) });
  const token = await hs256();
  const viaHeader = await RecordingClient.connect(gateway.stream('valid_blocks'), bearer(token));
  const viaQuery = await RecordingClient.connect(gateway.stream(`valid_blocks?access_token=${token}`));
  await gateway.commit(makeBlock(1, 1));
  await Promise.all([viaHeader.waitForFrames(1), viaQuery.waitForFrames(1)]);
  assert.deepEqual(viaHeader.frames, viaQuery.frames);
  await Promise.all([viaHeader.close(), viaQuery.close()]);
});

test('bad tokens are refused with 401 TOKEN_INVALID and say why, without repeating the token', async (t) => {
  const gateway = await startGateway(t, {
    config: authFrom({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWT_ISSUER: 'https://issuer.example' }),
  });
  const issued = { iss: 'https://issuer.example' };
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"exp":${now() + 60}}`).toString('base64url')}.`;
  const withoutExp = await new SignJWT(issued)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
  const cases: [string, string | undefined, RegExp][] = [
    ['expired', await hs256({ ...issued, exp: now() - 10 }), /expired/],
    [
      'another secret',
      await hs256(issued, 'another-secret-of-thirty-two-bytes-or-more'),
      /not signed with a key/,
    ],
    ['wrong issuer', await hs256({ iss: 'https://other.example' }), /"iss" claim/],
    ['no exp', withoutExp, /"exp" claim/],
    ['alg none', unsigned, /algorithm|well-formed/],
    ['garbage', 'not.a.jwt', /well-formed/],
  ];
  for (const [name, token, why] of cases) {
    const refused = await refusedUpgrade(gateway.stream('valid_blocks'), bearer(token!));
    assert.deepEqual([refused.status, refused.body.code], [401, 'TOKEN_INVALID'], name);
    assert.match(String(refused.body.message), why, name);
    assert.ok(!JSON.stringify(refused.body).includes(token!), `${name}: the token is not echoed`);
  }
  const basic = await refusedUpgrade(gateway.stream('valid_blocks'), {
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
  });
  assert.match(String(basic.body.message), /must be "Bearer <token>"/);
  const token = await hs256(issued);
  const twice = await refusedUpgrade(
    gateway.stream(`valid_blocks?access_token=${token}&access_token=${token}`),
  );
  assert.deepEqual([twice.status, twice.body.code], [401, 'TOKEN_INVALID']);
});

test('only the streams in GATEWAY_PRIVATE_STREAMS need a token', async (t) => {
  const gateway = await startGateway(t, {
    config: authFrom({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_PRIVATE_STREAMS: 'events' }),
  });
  const open = await RecordingClient.connect(gateway.stream('valid_blocks'));
  await open.close();
  const refused = await refusedUpgrade(gateway.stream('events'));
  assert.equal(refused.status, 401);
});

test('RS256 and ES256 tokens are verified against the key set file; a key not in it is refused', async (t) => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' },
  ];
  const file = join(mkdtempSync(join(tmpdir(), 'blockcast-jwks-')), 'keys.json');
  writeFileSync(file, JSON.stringify({ keys }));
  const gateway = await startGateway(t, {
    config: authFrom({ GATEWAY_JWT_JWKS_FILE: file, GATEWAY_JWT_AUDIENCE: 'blockcast' }),
  });
  const sign = (alg: string, kid: string, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT({ aud: 'blockcast' }).setProtectedHeader({ alg, kid }).setExpirationTime('10m').sign(key);
  for (const token of [
    await sign('RS256', 'rsa-1', rsa.privateKey),
    await sign('ES256', 'ec-1', ec.privateKey),
  ]) {
    const client = await RecordingClient.connect(gateway.stream('valid_blocks'), bearer(token));
    await client.close();
  }
  const unknown = await refusedUpgrade(
    gateway.stream('valid_blocks'),
    bearer(await sign('ES256', 'ec-1', stranger.privateKey)),
  );
  assert.deepEqual([unknown.status, unknown.body.code], [401, 'TOKEN_INVALID']);
  const hmac = await refusedUpgrade(
    gateway.stream('valid_blocks'),
    bearer(await hs256({ aud: 'blockcast' })),
  );
  assert.equal(hmac.status, 401, 'an HS256 token is not accepted where keys are public');
});

test('a connection whose token expires is closed with 1008 and its resume position', async (t) => {
  const gateway = await startGateway(t, { config: authFrom({ GATEWAY_JWT_SECRET: SECRET }) });
  await gateway.commit(makeBlock(1, 1), makeBlock(2, 1));
  await waitUntil(() => gateway.app.height === 2, 5000, 'published');
  const expiresAt = now() + 2;
  const client = await RecordingClient.connect(
    gateway.resume('valid_blocks?since=1'),
    bearer(await hs256({ exp: expiresAt })),
  );
  await client.waitForFrames(1);
  const closed = await client.closed;
  const lateMs = Date.now() - expiresAt * 1000;
  assert.equal(closed.code, CloseCode.POLICY);
  assert.match(closed.reason, /^token expired; /);
  assert.deepEqual(positionIn(closed.reason), { since: 2, epoch: gateway.app.epoch });
  assert.ok(lateMs >= 0 && lateMs < 2500, `closed ${lateMs} ms after exp`);
});

test('tokens never appear in the gateway log, at any level', async (t) => {
  const output = new PassThrough();
  let logged = '';
  output.on('data', (chunk: Buffer) => {
    logged += chunk.toString();
  });
  const log = new MemoryLog();
  const app = buildGatewayApp({
    config: {
      ...loadGatewayConfig({ GATEWAY_JWT_SECRET: SECRET }),
      host: '127.0.0.1',
      port: 0,
      opsPort: 0,
      drainDelayMs: 0,
    },
    log,
    logger: createLogger({ name: 'gateway', level: 'trace', destination: output }),
  });
  const { url } = await app.start();
  t.after(async () => {
    await app.close();
    await log.close();
  });
  await log.append(normaliseBlock(makeBlock(1, 1)));
  const good = await hs256();
  const expired = await hs256({ exp: now() - 5 });
  const client = await RecordingClient.connect(`${url}/api/v1/streams/valid_blocks`, bearer(good));
  const viaQuery = await RecordingClient.connect(`${url}/api/v1/streams/valid_blocks?access_token=${good}`);
  await refusedUpgrade(`${url}/api/v1/streams/valid_blocks`, bearer(expired));
  await refusedUpgrade(`${url}/api/v1/streams/valid_blocks?access_token=${expired}`);
  await Promise.all([client.close(), viaQuery.close()]);
  await app.close();
  assert.ok(logged.length > 0, 'the gateway logged something');
  for (const token of [good, expired]) {
    for (const part of token.split('.')) assert.ok(!logged.includes(part), 'no part of a token is logged');
  }
});
