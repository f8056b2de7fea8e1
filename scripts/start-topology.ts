/**
 * `npm run start:topology`: the production shape on one machine — a local redis-server (or
 * REDIS_URL), ingest, two gateways sharing one port (SO_REUSEPORT: the kernel balances
 * connections between them), discovery and the demo chain, each its own process. The ports are
 * the services' own variables (INGEST_PORT, GATEWAY_PORT, DISCOVERY_PORT and their *_OPS_PORT;
 * the second gateway's ops port is GATEWAY_OPS_PORT + 1), so what it prints is what it started.
 */

import { randomBytes } from 'node:crypto';
import { ConfigError, readPort, readServicePorts } from '@blockcast/common';
import {
  answersPing,
  cliCommands,
  type ServiceProcess,
  startRedisServer,
  startService,
} from '@blockcast/devkit';

const ports = readTopologyPorts();
const redisUrl = process.env.REDIS_URL ?? (await startRedis(ports.redis));
const token = randomBytes(24).toString('hex');
const shared = { REDIS_URL: redisUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
const ingestUrl = `http://127.0.0.1:${ports.ingest.port}`;
const gatewayOpsPorts = [ports.gateway.opsPort, ports.gateway.opsPort + 1];

const start = (kind: Parameters<typeof startService>[0], name: string, env: Record<string, string>) =>
  startService(kind, { name, env: { ...shared, ...env }, echo: true, ownProcessGroup: true });
const services: ServiceProcess[] = [
  start('ingest', 'ingest', {
    INGEST_TOKENS: token,
    INGEST_PORT: String(ports.ingest.port),
    INGEST_OPS_PORT: String(ports.ingest.opsPort),
  }),
  ...gatewayOpsPorts.map((opsPort, index) =>
    start('gateway', `gateway-${index + 1}`, {
      GATEWAY_PORT: String(ports.gateway.port),
      GATEWAY_OPS_PORT: String(opsPort),
      GATEWAY_EXCLUSIVE_PORT: 'false',
    }),
  ),
  start('discovery', 'discovery', {
    DISCOVERY_PORT: String(ports.discovery.port),
    DISCOVERY_OPS_PORT: String(ports.discovery.opsPort),
    ADVERTISED_STREAMS_PORT: process.env.ADVERTISED_STREAMS_PORT ?? String(ports.gateway.port),
  }),
];
const opsPorts = [ports.ingest.opsPort, ...gatewayOpsPorts, ports.discovery.opsPort];
try {
  await Promise.all(
    services.map((service, index) => service.waitUntilReady(`http://127.0.0.1:${opsPorts[index]}/readyz`)),
  );
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await Promise.all(services.map((service) => service.stop()));
  process.exit(1);
}
services.push(start('demo-chain', 'demo-chain', { INGEST_TOKENS: token, INGEST_URL: ingestUrl }));

const apiRoot = `http://localhost:${ports.discovery.port}/api/v1/`;
const cli = cliCommands({
  discoveryUrl: `http://localhost:${ports.discovery.port}`,
  ingestUrl,
  token,
  ops: { discovery: ports.discovery.opsPort, ingest: ports.ingest.opsPort, gateways: gatewayOpsPorts },
});
process.stdout.write(
  `${[
    '',
    `blockcast topology running on ${redisUrl}`,
    `  API root      ${apiRoot}`,
    `  streams       ws://localhost:${ports.gateway.port}/api/v1/streams/valid_transactions  (gateway-1 and gateway-2 share the port)`,
    `  ingest        http://localhost:${ports.ingest.port}/api/v1/blocks   Authorization: Bearer ${token}`,
    `  metrics       ${gatewayOpsPorts.map((port) => `http://localhost:${port}/metrics`).join('  ')}  (ingest: http://localhost:${ports.ingest.opsPort}/metrics, discovery: http://localhost:${ports.discovery.opsPort}/metrics)`,
    `  watch:        ${cli.tail}`,
    `  status:       ${cli.status}`,
    '  stop:         Ctrl-C (each service drains, gateways close their sockets with 1001 and a position)',
    '',
  ].join('\n')}\n`,
);

let stopping = false;
// The services run in process groups of their own, so this is the one signal each gets: a
// second one would make a gateway skip its drain.
const stopAll = async () => {
  if (stopping) return;
  stopping = true;
  for (const service of [...services].reverse()) await service.stop(35_000);
  process.exit(0);
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

interface TopologyPorts {
  redis: number;
  ingest: { port: number; opsPort: number };
  gateway: { port: number; opsPort: number };
  discovery: { port: number; opsPort: number };
}

function readTopologyPorts(): TopologyPorts {
  const env = process.env;
  try {
    const chosen = {
      redis: readPort(env, 'TOPOLOGY_REDIS_PORT', 6390),
      ingest: readServicePorts(env, 'INGEST', { port: 9986, opsPort: 9987 }),
      gateway: readServicePorts(env, 'GATEWAY', { port: 9985, opsPort: 9988 }),
      discovery: readServicePorts(env, 'DISCOVERY', { port: 9984, opsPort: 9990 }),
    };
    const named: [string, number][] = [
      ['INGEST_PORT', chosen.ingest.port],
      ['INGEST_OPS_PORT', chosen.ingest.opsPort],
      ['GATEWAY_PORT', chosen.gateway.port],
      ['GATEWAY_OPS_PORT', chosen.gateway.opsPort],
      ['GATEWAY_OPS_PORT + 1 (gateway-2)', chosen.gateway.opsPort + 1],
      ['DISCOVERY_PORT', chosen.discovery.port],
      ['DISCOVERY_OPS_PORT', chosen.discovery.opsPort],
    ];
    for (const [name, port] of named) {
      if (port === 0)
        throw new ConfigError(name, 'the topology needs fixed ports to print and to wait on; 0 is not one');
      const clash = named.find(([other, otherPort]) => other !== name && otherPort === port);
      if (clash)
        throw new ConfigError(name, `${port} is also ${clash[0]}: every service needs a port of its own`);
    }
    return chosen;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** A redis-server of our own on `port`, answering PING, stopped with this process; refuses a port already in use. */
async function startRedis(port: number): Promise<string> {
  if (await answersPing(port)) {
    process.stderr.write(
      `something already listens on ${port}: set REDIS_URL=redis://127.0.0.1:${port} to use it, or TOPOLOGY_REDIS_PORT\n`,
    );
    process.exit(1);
  }
  try {
    return (await startRedisServer({ port })).url;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}, or set REDIS_URL\n`);
    process.exit(1);
  }
}
