import {
  ConfigError,
  type DeploymentProfile,
  type Env,
  type HttpLimits,
  type LogLevel,
  type RedisTarget,
  readChoice,
  readDeploymentProfile,
  readHttpLimits,
  readInteger,
  readList,
  readLogLevel,
  readRedisTarget,
  readRetainBlocks,
  readServicePorts,
  readStreamPrefix,
  readString,
  readUrl,
} from '@blockcast/common';

/** `legacy` is a discovery-only shape: the BigchainDB 0.10 root document with `_links`. */
export type DiscoveryProfile = DeploymentProfile;
export type StreamsScheme = 'ws' | 'wss';

/** The release each profile's documents imitate (and whose docs they link to). */
export const DEFAULT_SOFTWARE_VERSION: Readonly<Record<DiscoveryProfile, string>> = {
  bigchaindb: '2.2.2',
  planetmint: '2.2.4',
  legacy: '0.10.0',
};

/** Where clients are told to connect: the gateways (or the load balancer / TLS terminator in front). */
export interface AdvertisedEndpoints {
  /** `wss` when TLS is terminated in front of the gateways. Default `ws`. */
  scheme: StreamsScheme;
  /** Host name or IP clients reach the gateways by. Default `localhost`. */
  host: string;
  /** Default 9985; always printed in URLs, even 80 or 443, as BigchainDB's `base_ws_uri()` does. */
  port: number;
  /** http(s) base of the HTTP API, no trailing slash (0.10 `_links.api_v1`). Default `http://<host>:<DISCOVERY_PORT>`. */
  apiUrl: string;
}

export interface DiscoveryConfig {
  /** Bind address. Default `0.0.0.0`. */
  host: string;
  /** Listen port; 0 picks a free one (tests). Default 9984, BigchainDB's HTTP API port. */
  port: number;
  /**
   * `/healthz`, `/readyz`, `/metrics` (architecture §8), on the same host. Default 9990: the gateway's
   * default is 9988 and the local topology's second gateway uses 9989. 0 picks a free one.
   */
  opsPort: number;
  /** Which original's documents to serve. Default `bigchaindb`. */
  profile: DiscoveryProfile;
  advertised: AdvertisedEndpoints;
  /** `version` in the documents and in the docs URLs. Default per profile (DEFAULT_SOFTWARE_VERSION). */
  softwareVersion: string;
  /** Blocks the bus keeps, i.e. how far back `since=` can resume; shown in the catalog. Default 100 000. */
  retainBlocks: number;
  /** 0.10 `public_key`: blockcast has no node key pair, so this is whatever the operator wants shown. Default ''. */
  legacyPublicKey: string;
  /** 0.10 `keyring`: public keys of the other federation nodes. Default []. */
  legacyKeyring: string[];
  /** Default `info`. */
  logLevel: LogLevel;
  /** REDIS_URL / REDIS_SENTINELS: when set, the catalog shows the stream's epoch and bounds. */
  redis: RedisTarget | undefined;
  /** BLOCKCAST_STREAM_PREFIX: which stream's epoch and bounds. */
  streamPrefix: string;
  /** DISCOVERY_HEADERS_TIMEOUT_MS, DISCOVERY_REQUEST_TIMEOUT_MS, DISCOVERY_KEEP_ALIVE_TIMEOUT_MS, DISCOVERY_MAX_CONNECTIONS. */
  limits: HttpLimits;
  /** DISCOVERY_SHUTDOWN_GRACE_MS, default 10 000: in-flight requests get this long on SIGTERM. */
  shutdownGraceMs: number;
}

/** Parses and validates the environment once; a bad value throws a ConfigError naming the variable. */
export function loadDiscoveryConfig(env: Env): DiscoveryConfig {
  const { port, opsPort } = readServicePorts(env, 'DISCOVERY', { port: 9984, opsPort: 9990 });
  const profile = readDeploymentProfile(env);
  const advertisedHost = readHostName(env, 'ADVERTISED_STREAMS_HOST', 'localhost');
  const apiUrl = readUrl(env, 'ADVERTISED_API_URL', `http://${bracketIpv6(advertisedHost)}:${port}`, [
    'http:',
    'https:',
  ])!;
  return {
    host: readString(env, 'DISCOVERY_HOST', '0.0.0.0'),
    port,
    opsPort,
    profile,
    advertised: {
      scheme: readChoice(env, 'ADVERTISED_STREAMS_SCHEME', ['ws', 'wss'] as const, 'ws'),
      host: advertisedHost,
      port: readInteger(env, 'ADVERTISED_STREAMS_PORT', 9985, { min: 1, max: 65535 }),
      apiUrl: apiUrl.replace(/\/+$/, ''),
    },
    softwareVersion: readVersion(env, 'SOFTWARE_VERSION', DEFAULT_SOFTWARE_VERSION[profile]),
    retainBlocks: readRetainBlocks(env),
    legacyPublicKey: readString(env, 'LEGACY_PUBLIC_KEY', ''),
    legacyKeyring: readList(env, 'LEGACY_KEYRING'),
    logLevel: readLogLevel(env),
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    limits: readHttpLimits(env, 'DISCOVERY'),
    shutdownGraceMs: readInteger(env, 'DISCOVERY_SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
  };
}

/** A bare host (name, IPv4, or IPv6 with or without brackets): no scheme, port or path. */
function readHostName(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  const problem = `expected a host name or IP address without scheme, port or path, got "${value}"`;
  if (/[/?#@\s]/.test(value)) throw new ConfigError(name, problem);
  let url: URL;
  try {
    url = new URL(`ws://${bracketIpv6(value)}/`);
  } catch {
    throw new ConfigError(name, problem);
  }
  if (url.port !== '') throw new ConfigError(name, problem);
  return value;
}

/** The version lands in docs URLs, so it is kept to the characters a release tag uses. */
function readVersion(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(value)) {
    throw new ConfigError(name, `expected a release version such as ${fallback}, got "${value}"`);
  }
  return value;
}

/** IPv6 literals need brackets inside a URL authority. */
export function bracketIpv6(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
