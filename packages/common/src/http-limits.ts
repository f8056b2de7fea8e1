import { ConfigError, type Env, readInteger } from './env-config.js';

/**
 * What an HTTP service allows one connection, so idle or trickling peers (slowloris) cannot hold
 * its sockets: read from `<SERVICE>_HEADERS_TIMEOUT_MS`, `_REQUEST_TIMEOUT_MS`,
 * `_KEEP_ALIVE_TIMEOUT_MS` and `_MAX_CONNECTIONS`.
 */
export interface HttpLimits {
  /** From accepting a connection (or the previous response) to the end of the request headers (default 10 000). */
  headersTimeoutMs: number;
  /** From accepting a connection to the end of the whole request, body included (default 30 000). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (default 5 000). */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed as soon as they are accepted (default 4 096). */
  maxConnections: number;
}

/** Request line and headers of one request, in bytes: Node's default, stated; over it is 431. */
export const MAX_REQUEST_HEADER_BYTES = 16 * 1024;
/** Header fields of one request; more is 431 (Node itself would keep 1 000 and drop the rest silently). */
export const MAX_REQUEST_HEADER_FIELDS = 100;

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
};

export function readHttpLimits(env: Env, service: 'INGEST' | 'DISCOVERY'): HttpLimits {
  const limits: HttpLimits = {
    headersTimeoutMs: readInteger(
      env,
      `${service}_HEADERS_TIMEOUT_MS`,
      DEFAULT_HTTP_LIMITS.headersTimeoutMs,
      {
        min: 100,
      },
    ),
    requestTimeoutMs: readInteger(
      env,
      `${service}_REQUEST_TIMEOUT_MS`,
      DEFAULT_HTTP_LIMITS.requestTimeoutMs,
      {
        min: 100,
      },
    ),
    keepAliveTimeoutMs: readInteger(
      env,
      `${service}_KEEP_ALIVE_TIMEOUT_MS`,
      DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs,
      { min: 1 },
    ),
    maxConnections: readInteger(env, `${service}_MAX_CONNECTIONS`, DEFAULT_HTTP_LIMITS.maxConnections, {
      min: 1,
    }),
  };
  // Node refuses a headers timeout above the request timeout: say so by name, not at listen().
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `${service}_HEADERS_TIMEOUT_MS`,
      `is ${limits.headersTimeoutMs}, above ${service}_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}): headers are part of the request`,
    );
  }
  return limits;
}

/** Fastify options enforcing `limits` (the connection cap is set on the server by the lifecycle). */
export function fastifyLimitOptions(limits: HttpLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      maxHeaderSize: MAX_REQUEST_HEADER_BYTES,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks both timeouts only this often (30 s by default), which would stretch them.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}
