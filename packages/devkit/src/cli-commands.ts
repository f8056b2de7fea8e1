/**
 * The `npx blockcast …` commands `npm start` and `npm run start:topology` print for the stack
 * they started: each names a URL only where it is not the CLI's default, so on the default ports
 * the printed commands are the README's.
 */
export interface CliTarget {
  /** Discovery's base URL, e.g. `http://localhost:9984`. */
  discoveryUrl: string;
  ingestUrl: string;
  token: string;
  ops: { discovery: number; ingest: number; gateways: readonly number[] };
}

export interface CliCommands {
  tail: string;
  emit: string;
  catalog: string;
  status: string;
}

const DEFAULT_PORTS = {
  discovery: 9984,
  ingest: 9986,
  discoveryOps: 9990,
  ingestOps: 9987,
  gatewayOps: 9988,
};

function option(name: string, url: string, port: number, defaultPort: number): string {
  return port === defaultPort ? '' : ` --${name} ${url}`;
}

export function cliCommands(target: CliTarget): CliCommands {
  const discoveryPort = Number(new URL(target.discoveryUrl).port);
  const ingestPort = Number(new URL(target.ingestUrl).port);
  const apiRoot = option(
    'api-root',
    `http://localhost:${discoveryPort}/api/v1/`,
    discoveryPort,
    DEFAULT_PORTS.discovery,
  );
  const ops = (port: number) => `http://localhost:${port}`;
  const gateways = target.ops.gateways
    .map((port) =>
      option('gateway-ops', ops(port), target.ops.gateways.length > 1 ? 0 : port, DEFAULT_PORTS.gatewayOps),
    )
    .join('');
  return {
    tail: `npx blockcast tail valid_transactions${apiRoot}`,
    emit: `npx blockcast emit NODE_STATUS '{"node_id": "me", "status": "up"}' --token ${target.token}${option('ingest', `http://localhost:${ingestPort}`, ingestPort, DEFAULT_PORTS.ingest)}`,
    catalog: `npx blockcast catalog${apiRoot}`,
    status: `npx blockcast status${apiRoot}${option('discovery-ops', ops(target.ops.discovery), target.ops.discovery, DEFAULT_PORTS.discoveryOps)}${option('ingest-ops', ops(target.ops.ingest), target.ops.ingest, DEFAULT_PORTS.ingestOps)}${gateways}`,
  };
}
