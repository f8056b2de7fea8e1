import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  ConfigError,
  type Env,
  readBoolean,
  readChoice,
  readInteger,
  readList,
  readOptionalString,
} from '@blockcast/common';
import { STREAM_CATALOG, type StreamName } from '@blockcast/protocol';
import type { JSONWebKeySet } from 'jose';

/** One entry of GATEWAY_TRUSTED_PROXIES: an address or a CIDR block. */
export interface TrustedProxy {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** The header trusted proxies write the client's address into; the other one is never read. */
export const CLIENT_ADDRESS_HEADERS = ['x-forwarded-for', 'forwarded'] as const;
export type ClientAddressHeader = (typeof CLIENT_ADDRESS_HEADERS)[number];

/** Who may open a stream, checked before the upgrade. */
export interface ConnectionPolicyConfig {
  /** Exact `Origin` values allowed; empty: any origin. */
  allowedOrigins: readonly string[];
  /** Refuse upgrades without an `Origin` (which only browsers send). */
  requireOrigin: boolean;
  /** Open connections per client address; 0: no limit. */
  maxConnectionsPerAddress: number;
  /** Peers whose {@link clientAddressHeader} is believed; every other peer is the client. */
  trustedProxies: readonly TrustedProxy[];
  /** What the trusted proxies write: a client could add the other header, which they pass through. */
  clientAddressHeader: ClientAddressHeader;
  /** The part of an upgrade after its request arrived (token check, resume check) ends within this. */
  handshakeTimeoutMs: number;
}

export type TokenKey = { kind: 'secret'; secret: Uint8Array } | { kind: 'jwks'; jwks: JSONWebKeySet };

/** JWT authentication of private streams; undefined when no key is configured. */
export interface AuthConfig {
  key: TokenKey;
  issuer: string | undefined;
  audience: string | undefined;
  /** Streams that need a token. */
  privateStreams: ReadonlySet<StreamName>;
}

export function loadPolicyConfig(env: Env): ConnectionPolicyConfig {
  const allowedOrigins = readList(env, 'GATEWAY_ALLOWED_ORIGINS');
  const requireOrigin = readBoolean(env, 'GATEWAY_REQUIRE_ORIGIN', false);
  if (requireOrigin && allowedOrigins.length === 0) {
    throw new ConfigError(
      'GATEWAY_REQUIRE_ORIGIN',
      'needs GATEWAY_ALLOWED_ORIGINS: which origins are required?',
    );
  }
  return {
    allowedOrigins,
    requireOrigin,
    maxConnectionsPerAddress: readInteger(env, 'GATEWAY_MAX_CONNECTIONS_PER_IP', 0, { min: 0 }),
    trustedProxies: readList(env, 'GATEWAY_TRUSTED_PROXIES').map((entry) => parseTrustedProxy(entry)),
    clientAddressHeader: readChoice(
      env,
      'GATEWAY_CLIENT_ADDRESS_HEADER',
      CLIENT_ADDRESS_HEADERS,
      'x-forwarded-for',
    ),
    handshakeTimeoutMs: readInteger(env, 'GATEWAY_HANDSHAKE_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
  };
}

function parseTrustedProxy(entry: string): TrustedProxy {
  const [address = '', prefixText, extra] = entry.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (version === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? '0') || prefix > max) {
    throw new ConfigError(
      'GATEWAY_TRUSTED_PROXIES',
      `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)`,
    );
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function loadAuthConfig(env: Env): AuthConfig | undefined {
  const key = readTokenKey(env);
  const streams = readList(env, 'GATEWAY_PRIVATE_STREAMS');
  if (key === undefined) {
    for (const name of ['GATEWAY_PRIVATE_STREAMS', 'GATEWAY_JWT_ISSUER', 'GATEWAY_JWT_AUDIENCE']) {
      if (readOptionalString(env, name) !== undefined) {
        throw new ConfigError(
          name,
          'needs GATEWAY_JWT_SECRET or GATEWAY_JWT_JWKS_FILE to verify tokens with',
        );
      }
    }
    return undefined;
  }
  const known = STREAM_CATALOG.map((stream) => stream.name);
  for (const stream of streams) {
    if (!(known as string[]).includes(stream)) {
      throw new ConfigError(
        'GATEWAY_PRIVATE_STREAMS',
        `"${stream}" is not a stream (one of ${known.join(', ')})`,
      );
    }
  }
  return {
    key,
    issuer: readOptionalString(env, 'GATEWAY_JWT_ISSUER'),
    audience: readOptionalString(env, 'GATEWAY_JWT_AUDIENCE'),
    privateStreams: new Set(streams.length > 0 ? (streams as StreamName[]) : known),
  };
}

/** HS256 needs a key of at least 256 bits (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

function readTokenKey(env: Env): TokenKey | undefined {
  const secret = readOptionalString(env, 'GATEWAY_JWT_SECRET');
  const jwksFile = readOptionalString(env, 'GATEWAY_JWT_JWKS_FILE');
  if (secret !== undefined && jwksFile !== undefined) {
    throw new ConfigError('GATEWAY_JWT_SECRET', 'set either it or GATEWAY_JWT_JWKS_FILE, not both');
  }
  if (secret !== undefined) {
    const bytes = new TextEncoder().encode(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new ConfigError(
        'GATEWAY_JWT_SECRET',
        `is ${bytes.length} bytes; HS256 needs at least ${MIN_SECRET_BYTES}`,
      );
    }
    return { kind: 'secret', secret: bytes };
  }
  return jwksFile === undefined ? undefined : { kind: 'jwks', jwks: readKeySet(jwksFile) };
}

/** The public keys tokens are signed with (RS256: kty RSA; ES256: kty EC, crv P-256). */
function readKeySet(path: string): JSONWebKeySet {
  const fail = (problem: string) => new ConfigError('GATEWAY_JWT_JWKS_FILE', `${path}: ${problem}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail('is not JSON');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw fail('has no "keys" array of JWKs');
  for (const [index, key] of keys.entries()) {
    const { kty, crv, d } = (key ?? {}) as Record<string, unknown>;
    if (kty !== 'RSA' && !(kty === 'EC' && crv === 'P-256')) {
      throw fail(`key ${index} is neither an RSA (RS256) nor a P-256 EC (ES256) key`);
    }
    if (d !== undefined) throw fail(`key ${index} is a private key: give the gateway public keys only`);
  }
  return parsed as JSONWebKeySet;
}
