import {
  ConfigError,
  type Env,
  type LogLevel,
  type RedisTarget,
  readBoolean,
  readDeploymentProfile,
  readInteger,
  readLogLevel,
  readRedisTarget,
  readRetainBlocks,
  readServicePorts,
  readStreamPrefix,
  readString,
} from '@blockcast/common';
import { type FrameProfile, frameProfileOf } from '@blockcast/protocol';
import {
  type AuthConfig,
  type ConnectionPolicyConfig,
  loadAuthConfig,
  loadPolicyConfig,
} from './policy/policy-config.js';

export interface GatewayConfig {
  host: string;
  /** WebSocket port (9985 as in BigchainDB); shared between processes (SO_REUSEPORT) unless `exclusivePort`. */
  port: number;
  /** /healthz, /readyz, /metrics. */
  opsPort: number;
  profile: FrameProfile;
  allowFallbackTransport: boolean;
  exclusivePort: boolean;
  maxConnections: number;
  /** Descriptors kept for all but client sockets; the connection limit is lowered to fit the rest. */
  fdReserve: number;
  /** Largest client message; clients only ever send "ping", larger ones close with 1009. */
  maxPayloadBytes: number;
  /** Seconds of silence before the gateway pings a peer, and the time it then has to answer (4009). */
  idleTimeoutSeconds: number;
  /** Soft limit: a live socket with more bytes queued moves to catch-up (checked every second). */
  slowClientBytes: number;
  /** A socket whose queue has not gone down for this long is closed with 4008. */
  stallTimeoutSeconds: number;
  /** Last resort: uWS closes the socket (1006) rather than skip a frame; far above slowClientBytes. */
  maxBackpressureBytes: number;
  /** Recent blocks kept in memory for resume and catch-up, by count and by bytes. */
  ringBlocks: number;
  /** RETAIN_BLOCKS: the ring never holds more, so it never serves what the log no longer keeps. */
  retainBlocks: number;
  ringBytes: number;
  /** Entries (blocks and generic events) per event-log read when a socket catches up from older history. */
  historyBatchEntries: number;
  /** After SIGTERM: readiness fails, then this wait for the load balancer to deregister the gateway. */
  drainDelayMs: number;
  /** Then sockets are closed with 1001 at this many per second. */
  drainRatePerSecond: number;
  /** The whole shutdown (delay and drain) ends within this; what is still open then is cut. */
  shutdownGraceMs: number;
  /** Origins, connections per client address, trusted proxies, handshake timeout. */
  policy: ConnectionPolicyConfig;
  /** JWT authentication of private streams; undefined: every stream is public. */
  auth: AuthConfig | undefined;
  redis: RedisTarget | undefined;
  streamPrefix: string;
  logLevel: LogLevel;
}

export function loadGatewayConfig(env: Env): GatewayConfig {
  const { port, opsPort } = readServicePorts(env, 'GATEWAY', { port: 9985, opsPort: 9988 });
  const config: GatewayConfig = {
    host: readString(env, 'GATEWAY_HOST', '0.0.0.0'),
    port,
    opsPort,
    profile: frameProfileOf(readDeploymentProfile(env)),
    allowFallbackTransport: readBoolean(env, 'GATEWAY_ALLOW_FALLBACK_TRANSPORT', false),
    exclusivePort: readBoolean(env, 'GATEWAY_EXCLUSIVE_PORT', false),
    maxConnections: readInteger(env, 'GATEWAY_MAX_CONNECTIONS', 19_000, { min: 1 }),
    fdReserve: readInteger(env, 'GATEWAY_FD_RESERVE', 128, { min: 16 }),
    maxPayloadBytes: readInteger(env, 'GATEWAY_MAX_PAYLOAD_BYTES', 4096, { min: 16 }),
    idleTimeoutSeconds: readInteger(env, 'GATEWAY_IDLE_TIMEOUT_S', 60, { min: 1, max: 3600 }),
    slowClientBytes: readInteger(env, 'GATEWAY_SLOW_CLIENT_BYTES', 1024 * 1024, { min: 16_384 }),
    stallTimeoutSeconds: readInteger(env, 'GATEWAY_STALL_TIMEOUT_S', 120, { min: 1, max: 86_400 }),
    maxBackpressureBytes: readInteger(env, 'GATEWAY_MAX_BACKPRESSURE_BYTES', 256 * 1024 * 1024, {
      min: 65_536,
    }),
    ringBlocks: readInteger(env, 'GATEWAY_RING_BLOCKS', 1000, { min: 1 }),
    retainBlocks: readRetainBlocks(env),
    ringBytes: readInteger(env, 'GATEWAY_RING_BYTES', 64 * 1024 * 1024, { min: 65_536 }),
    historyBatchEntries: readInteger(env, 'GATEWAY_HISTORY_BATCH', 200, { min: 1, max: 10_000 }),
    drainDelayMs: readInteger(env, 'GATEWAY_DRAIN_DELAY_MS', 5000, { min: 0 }),
    drainRatePerSecond: readInteger(env, 'GATEWAY_DRAIN_RATE', 2000, { min: 1 }),
    shutdownGraceMs: readInteger(env, 'GATEWAY_SHUTDOWN_GRACE_MS', 30_000, { min: 0 }),
    policy: loadPolicyConfig(env),
    auth: loadAuthConfig(env),
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    logLevel: readLogLevel(env),
  };
  // Reaching uWS's limit drops frames before it cuts the socket: it must stay far out of reach.
  if (config.maxBackpressureBytes < 8 * config.slowClientBytes) {
    throw new ConfigError(
      'GATEWAY_MAX_BACKPRESSURE_BYTES',
      `must be at least 8 × GATEWAY_SLOW_CLIENT_BYTES (${8 * config.slowClientBytes}): past it the transport drops frames before it closes the socket`,
    );
  }
  if (config.drainDelayMs >= config.shutdownGraceMs && config.shutdownGraceMs > 0) {
    throw new ConfigError(
      'GATEWAY_DRAIN_DELAY_MS',
      `must be below GATEWAY_SHUTDOWN_GRACE_MS (${config.shutdownGraceMs}), which must also leave time to close the sockets`,
    );
  }
  return config;
}
