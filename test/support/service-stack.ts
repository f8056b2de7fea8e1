/**
 * The deployment shape for end-to-end and fault tests, started one way: ingest, N gateways (each
 * on ports of its own), discovery and optionally a plugin host, every one its own process, against
 * one Redis (or Sentinel) under a key prefix of their own. A gateway can be stopped (SIGTERM: it
 * drains) and started again on the same ports.
 */
import { randomBytes } from 'node:crypto';
import { freePort, type ServiceProcess, startService, uniquePrefix } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';

export interface StackOptions {
  redisUrl: string;
  /** How every service reaches Redis instead of `redisUrl` (e.g. REDIS_SENTINELS and the master's name). */
  redisEnv?: Record<string, string>;
  gateways: number;
  /** Label of the key prefix, so a failing test's keys are recognisable. */
  label: string;
  /** The key prefix and ingest token to use instead of new ones. */
  prefix?: string;
  token?: string;
  /** Extra environment for every service, and for ingest alone. */
  env?: Record<string, string>;
  ingestEnv?: Record<string, string>;
  profile?: 'bigchaindb' | 'planetmint';
  /** Extra environment for every gateway (drain pacing, limits). */
  gatewayEnv?: Record<string, string>;
  /** Where discovery tells clients the streams are; default the first gateway's port. */
  advertisedStreamsPort?: number;
  /** How long each service may take to answer /readyz (default 30 s). */
  readyTimeoutMs?: number;
  /** PLUGINS for a plugin host reading the same bus (e.g. `console`); none when not given. */
  plugins?: string;
}

export interface StackGateway {
  name: string;
  port: number;
  opsPort: number;
  process: ServiceProcess;
}

export interface ServiceStack {
  readonly token: string;
  /** The key prefix every service of the stack uses (`BLOCKCAST_STREAM_PREFIX`). */
  readonly prefix: string;
  readonly ingest: { url: string; opsUrl: string; process: ServiceProcess };
  readonly discovery: { url: string; opsUrl: string; process: ServiceProcess };
  /** The plugin host, when `plugins` was given. */
  readonly plugins: { opsUrl: string; process: ServiceProcess } | undefined;
  readonly gateways: StackGateway[];
  /** POST /api/v1/blocks to ingest with the stack's token. */
  post(block: CommittedBlock, token?: string): Promise<Response>;
  /** SIGTERM (the gateway drains); resolves with its exit code. */
  stopGateway(index: number): Promise<number | null>;
  /** Starts the gateway again on its ports; resolves when it is ready. */
  startGateway(index: number): Promise<void>;
  /** Every process stopped; their exit codes, ingest first, then gateways, discovery, plugin host. */
  stop(): Promise<(number | null)[]>;
}

export async function startServiceStack(options: StackOptions): Promise<ServiceStack> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const prefix = options.prefix ?? uniquePrefix(options.label);
  const shared = {
    ...(options.redisEnv ?? { REDIS_URL: options.redisUrl }),
    BLOCKCAST_STREAM_PREFIX: prefix,
    BLOCKCAST_PROFILE: options.profile ?? 'bigchaindb',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const [ingestPort, ingestOps, discoveryPort, discoveryOps] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const gatewayPorts: { port: number; opsPort: number }[] = [];
  for (let i = 0; i < options.gateways; i += 1)
    gatewayPorts.push({ port: await freePort(), opsPort: await freePort() });

  const launchGateway = (i: number) =>
    startService('gateway', {
      name: `gateway-${i + 1}`,
      env: {
        ...shared,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(gatewayPorts[i]!.port),
        GATEWAY_OPS_PORT: String(gatewayPorts[i]!.opsPort),
        GATEWAY_EXCLUSIVE_PORT: 'true',
        ...options.gatewayEnv,
      },
    });
  const ingest = {
    url: `http://127.0.0.1:${ingestPort}`,
    opsUrl: `http://127.0.0.1:${ingestOps}`,
    process: startService('ingest', {
      env: {
        ...shared,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(ingestPort),
        INGEST_OPS_PORT: String(ingestOps),
        INGEST_TOKENS: token,
        ...options.ingestEnv,
      },
    }),
  };
  const gateways: StackGateway[] = gatewayPorts.map((ports, i) => ({
    name: `gateway-${i + 1}`,
    ...ports,
    process: launchGateway(i),
  }));
  const discovery = {
    url: `http://127.0.0.1:${discoveryPort}`,
    opsUrl: `http://127.0.0.1:${discoveryOps}`,
    process: startService('discovery', {
      env: {
        ...shared,
        DISCOVERY_HOST: '127.0.0.1',
        DISCOVERY_PORT: String(discoveryPort),
        DISCOVERY_OPS_PORT: String(discoveryOps),
        ADVERTISED_STREAMS_HOST: '127.0.0.1',
        // A stack without gateways (a plugin host's faults) has no streams: its own port stands in.
        ADVERTISED_STREAMS_PORT: String(
          options.advertisedStreamsPort ?? gatewayPorts[0]?.port ?? discoveryPort,
        ),
      },
    }),
  };
  const pluginsOps = options.plugins === undefined ? 0 : await freePort();
  const plugins =
    options.plugins === undefined
      ? undefined
      : {
          opsUrl: `http://127.0.0.1:${pluginsOps}`,
          process: startService('plugins', {
            env: {
              ...shared,
              PLUGINS: options.plugins,
              PLUGINS_HOST: '127.0.0.1',
              PLUGINS_OPS_PORT: String(pluginsOps),
            },
          }),
        };
  const readyMs = options.readyTimeoutMs ?? 30_000;
  const gatewayReady = (gateway: StackGateway) =>
    gateway.process.waitUntilReady(`http://127.0.0.1:${gateway.opsPort}/readyz`, readyMs);
  const started = [ingest.process, ...gateways.map((gateway) => gateway.process), discovery.process];
  if (plugins) started.push(plugins.process);
  try {
    await Promise.all([
      ingest.process.waitUntilReady(`${ingest.opsUrl}/readyz`, readyMs),
      ...gateways.map(gatewayReady),
      discovery.process.waitUntilReady(`${discovery.opsUrl}/readyz`, readyMs),
      ...(plugins ? [plugins.process.waitUntilReady(`${plugins.opsUrl}/readyz`, readyMs)] : []),
    ]);
  } catch (error) {
    // Child services do not die with the test process: a failed start stops what did start.
    await Promise.all(started.map((service) => service.stop(3000)));
    throw error;
  }

  return {
    token,
    prefix,
    ingest,
    discovery,
    plugins,
    gateways,
    post: (block, withToken = token) =>
      fetch(`${ingest.url}/api/v1/blocks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${withToken}` },
        body: JSON.stringify(block),
      }),
    stopGateway: (index) => gateways[index]!.process.stop(30_000),
    async startGateway(index) {
      const gateway = gateways[index]!;
      gateway.process = launchGateway(index);
      await gatewayReady(gateway);
    },
    async stop() {
      return Promise.all([
        ingest.process.stop(),
        ...gateways.map((gateway) => gateway.process.stop()),
        discovery.process.stop(),
        ...(plugins ? [plugins.process.stop()] : []),
      ]);
    },
  };
}
