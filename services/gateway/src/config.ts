import {
  ConfigError,
  type Env,
  type LogLevel,
  type RedisTarget,
  readBoolean,
  readDeploymentProfile,
  readInteger,
  readLogLevel,
  readPort,
  readRedisTarget,
  readStreamPrefix,
  readString,
} from '@blockcast/common';
import type { Profile } from '@blockcast/protocol';

export interface GatewayConfig {
  host: string;
  /** WebSocket port (9985 as in BigchainDB); shared between processes (SO_REUSEPORT) unless `exclusivePort`. */
  port: number;
  /** /healthz, /readyz, /metrics. */
  opsPort: number;
  profile: Profile;
  allowFallbackTransport: boolean;
  exclusivePort: boolean;
  maxConnections: number;
  /** Largest client message; clients only ever send "ping", larger ones close with 1009. */
  maxPayloadBytes: number;
  /** Seconds of silence before uWS pings a peer, and closes it when the pong does not come. */
  idleTimeoutSeconds: number;
  /** Bytes queued for one socket above which the sweeper closes it with 4008 (checked every second). */
  slowClientBytes: number;
  /** Hard limit: uWS closes the socket (1006) rather than skip a frame; above slowClientBytes. */
  maxBackpressureBytes: number;
  shutdownGraceMs: number;
  redis: RedisTarget | undefined;
  streamPrefix: string;
  logLevel: LogLevel;
}

export function loadGatewayConfig(env: Env): GatewayConfig {
  const port = readPort(env, 'GATEWAY_PORT', 9985);
  const opsPort = readPort(env, 'GATEWAY_OPS_PORT', 9988);
  if (opsPort !== 0 && opsPort === port) {
    throw new ConfigError(
      'GATEWAY_OPS_PORT',
      `is ${opsPort}, the same as GATEWAY_PORT: probes and metrics need a port of their own`,
    );
  }
  return {
    host: readString(env, 'GATEWAY_HOST', '0.0.0.0'),
    port,
    opsPort,
    profile: readGatewayProfile(env),
    allowFallbackTransport: readBoolean(env, 'GATEWAY_ALLOW_FALLBACK_TRANSPORT', false),
    exclusivePort: readBoolean(env, 'GATEWAY_EXCLUSIVE_PORT', false),
    maxConnections: readInteger(env, 'GATEWAY_MAX_CONNECTIONS', 19_000, { min: 1 }),
    maxPayloadBytes: readInteger(env, 'GATEWAY_MAX_PAYLOAD_BYTES', 4096, { min: 16 }),
    idleTimeoutSeconds: readInteger(env, 'GATEWAY_IDLE_TIMEOUT_S', 60, { min: 8, max: 960 }),
    slowClientBytes: readInteger(env, 'GATEWAY_SLOW_CLIENT_BYTES', 1024 * 1024, { min: 16_384 }),
    maxBackpressureBytes: readInteger(env, 'GATEWAY_MAX_BACKPRESSURE_BYTES', 16 * 1024 * 1024, {
      min: 65_536,
    }),
    shutdownGraceMs: readInteger(env, 'GATEWAY_SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    logLevel: readLogLevel(env),
  };
}

/**
 * One BLOCKCAST_PROFILE for every service: `legacy` (the 0.10 root document in discovery) has no
 * valid_transactions frame of its own, so its gateway serves the BigchainDB 2.x one there.
 */
function readGatewayProfile(env: Env): Profile {
  const profile = readDeploymentProfile(env);
  return profile === 'legacy' ? 'bigchaindb' : profile;
}
