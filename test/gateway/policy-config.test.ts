import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@blockcast/common';
import { loadGatewayConfig } from '@blockcast/gateway';
import { exportJWK, generateKeyPair } from 'jose';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

function refusedWith(env: Record<string, string>, variable: string, message: RegExp): void {
  assert.throws(
    () => loadGatewayConfig(env),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === variable && message.test(error.message),
    `${JSON.stringify(env)} names ${variable}`,
  );
}

function jwksFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'blockcast-jwks-')), 'keys.json');
  writeFileSync(path, content);
  return path;
}

test('the connection policy defaults: any origin, no per-address limit, no trusted proxy, 5 s, no auth', () => {
  const config = loadGatewayConfig({});
  assert.deepEqual(config.policy, {
    allowedOrigins: [],
    requireOrigin: false,
    maxConnectionsPerAddress: 0,
    trustedProxies: [],
    clientAddressHeader: 'x-forwarded-for',
    handshakeTimeoutMs: 5000,
  });
  assert.equal(config.auth, undefined);
});

test('policy variables are parsed once, into typed values', () => {
  const config = loadGatewayConfig({
    GATEWAY_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    GATEWAY_REQUIRE_ORIGIN: 'true',
    GATEWAY_MAX_CONNECTIONS_PER_IP: '20',
    GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8,fd00::/8,127.0.0.1',
    GATEWAY_CLIENT_ADDRESS_HEADER: 'forwarded',
    GATEWAY_HANDSHAKE_TIMEOUT_MS: '2000',
    GATEWAY_JWT_SECRET: SECRET,
    GATEWAY_PRIVATE_STREAMS: 'events,valid_blocks',
    GATEWAY_JWT_ISSUER: 'https://issuer.example',
  });
  assert.deepEqual(config.policy.allowedOrigins, ['https://a.example', 'https://b.example']);
  assert.equal(config.policy.maxConnectionsPerAddress, 20);
  assert.deepEqual(config.policy.trustedProxies, [
    { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { address: 'fd00::', prefix: 8, family: 'ipv6' },
    { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
  ]);
  assert.equal(config.policy.clientAddressHeader, 'forwarded');
  assert.deepEqual([...(config.auth?.privateStreams ?? [])], ['events', 'valid_blocks']);
  assert.equal(config.auth?.issuer, 'https://issuer.example');
  const everyStream = loadGatewayConfig({ GATEWAY_JWT_SECRET: SECRET }).auth?.privateStreams;
  assert.equal(everyStream?.size, 5, 'a key without GATEWAY_PRIVATE_STREAMS makes every stream private');
});

test('bad policy values stop the gateway, naming the variable', () => {
  refusedWith(
    { GATEWAY_TRUSTED_PROXIES: '10.0.0.0/33' },
    'GATEWAY_TRUSTED_PROXIES',
    /"10\.0\.0\.0\/33" is not/,
  );
  refusedWith({ GATEWAY_TRUSTED_PROXIES: 'proxy.internal' }, 'GATEWAY_TRUSTED_PROXIES', /not an IP address/);
  refusedWith({ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8/1' }, 'GATEWAY_TRUSTED_PROXIES', /not an IP address/);
  refusedWith(
    { GATEWAY_CLIENT_ADDRESS_HEADER: 'x-real-ip' },
    'GATEWAY_CLIENT_ADDRESS_HEADER',
    /one of x-forwarded-for, forwarded/,
  );
  refusedWith({ GATEWAY_REQUIRE_ORIGIN: 'true' }, 'GATEWAY_REQUIRE_ORIGIN', /needs GATEWAY_ALLOWED_ORIGINS/);
  refusedWith({ GATEWAY_MAX_CONNECTIONS_PER_IP: '-1' }, 'GATEWAY_MAX_CONNECTIONS_PER_IP', /at least 0/);
  refusedWith({ GATEWAY_HANDSHAKE_TIMEOUT_MS: '10' }, 'GATEWAY_HANDSHAKE_TIMEOUT_MS', /at least 100/);
  refusedWith({ GATEWAY_JWT_SECRET: 'short' }, 'GATEWAY_JWT_SECRET', /is 5 bytes; HS256 needs at least 32/);
  refusedWith({ GATEWAY_PRIVATE_STREAMS: 'events' }, 'GATEWAY_PRIVATE_STREAMS', /needs GATEWAY_JWT_SECRET/);
  refusedWith({ GATEWAY_JWT_AUDIENCE: 'x' }, 'GATEWAY_JWT_AUDIENCE', /needs GATEWAY_JWT_SECRET/);
  refusedWith(
    { GATEWAY_JWT_SECRET: SECRET, GATEWAY_PRIVATE_STREAMS: 'events,secrets' },
    'GATEWAY_PRIVATE_STREAMS',
    /"secrets" is not a stream/,
  );
  refusedWith({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWT_JWKS_FILE: '/x' }, 'GATEWAY_JWT_SECRET', /not both/);
});

test('a JWKS file is read at start: missing, not JSON, no keys, a private or unsupported key stop the gateway', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const good = loadGatewayConfig({ GATEWAY_JWT_JWKS_FILE: jwksFile(JSON.stringify({ keys: [publicJwk] })) });
  assert.equal(good.auth?.key.kind, 'jwks');
  const variable = 'GATEWAY_JWT_JWKS_FILE';
  refusedWith({ [variable]: '/nonexistent/keys.json' }, variable, /cannot be read \(ENOENT\)/);
  refusedWith({ [variable]: jwksFile('{') }, variable, /is not JSON/);
  refusedWith({ [variable]: jwksFile('{"keys": []}') }, variable, /no "keys" array/);
  refusedWith(
    { [variable]: jwksFile(JSON.stringify({ keys: [await exportJWK(privateKey)] })) },
    variable,
    /key 0 is a private key/,
  );
  refusedWith(
    { [variable]: jwksFile(JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })) },
    variable,
    /neither an RSA \(RS256\) nor a P-256 EC \(ES256\) key/,
  );
});
