/**
 * `blockcast status`: for an operator, each service's readiness (`/readyz` on its ops port) and
 * how far behind the head it is (its `/metrics` gauges), beside the history the catalog names.
 */
import { historyBoundsOf, readCatalog } from '../api-root.js';
import { ExitCode } from './exit-codes.js';
import type { Command } from './main.js';
import { reportFormat, table } from './report-format.js';

/** An ops port that does not answer within this is reported unreachable. */
const PROBE_TIMEOUT_MS = 5000;

type ServiceName = 'discovery' | 'ingest' | 'gateway' | 'plugins';

interface ServiceStatus {
  service: ServiceName;
  url: string;
  ready: boolean;
  /** Why not ready (the probe's reason, or why it could not be asked). */
  reason?: string;
  /** The last height it handled: appended (ingest), published (gateway), named in the catalog (discovery). */
  height?: number;
  /** Blocks behind the head of the bus. */
  lag_blocks?: number;
  /** Age of the last block it published (gateway). */
  lag_seconds?: number;
  /** Plugins by name: running or not (plugin host). */
  plugins?: Record<string, boolean>;
}

interface Sample {
  labels: string;
  value: number;
}

/** The samples of one metric in Prometheus text. */
function samples(metrics: string, name: string): Sample[] {
  const found: Sample[] = [];
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === name) found.push({ labels: match[2] ?? '', value: Number(match[3]) });
  }
  return found;
}

function gauge(metrics: string, name: string): number | undefined {
  return samples(metrics, name)[0]?.value;
}

async function probe(service: ServiceName, url: string): Promise<{ status: ServiceStatus; metrics: string }> {
  const base = url.replace(/\/$/, '');
  const get = (path: string) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  try {
    const readiness = await get('/readyz');
    const body = (await readiness.json().catch(() => ({}))) as { reason?: unknown };
    const metrics = await get('/metrics')
      .then((response) => (response.ok ? response.text() : ''))
      .catch(() => '');
    const reason = readiness.ok ? undefined : String(body.reason ?? `/readyz answered ${readiness.status}`);
    return { status: { service, url: base, ready: readiness.ok, ...(reason ? { reason } : {}) }, metrics };
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return { status: { service, url: base, ready: false, reason: `no answer: ${cause}` }, metrics: '' };
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: "each service's readiness and lag behind the head, for an operator",
  usage: 'status [options]',
  help: `
Asks each service's ops port for /readyz (ready, or why not) and /metrics (the height it has
handled and its lag behind the head of the bus), and discovery's catalog for the epoch and head.
The defaults are the ports npm start and the Helm chart use on one host; npm start prints the
command with its own ports.

options:
  --api-root URL        discovery's API root (default $BLOCKCAST_API_ROOT or http://localhost:9984/api/v1/)
  --discovery-ops URL   discovery's ops port (default http://localhost:9990)
  --ingest-ops URL      ingest's ops port (default http://localhost:9987)
  --gateway-ops URL     a gateway's ops port, repeat for each gateway (default http://localhost:9988)
  --plugins-ops URL     the plugin host's ops port (default: not asked)
  -o, --format F        pretty (the default on a terminal) or json (the default when piped)

exit codes: 0 every service ready, 1 usage, 8 a service not ready or not answering

examples:
  blockcast status
  blockcast status --gateway-ops http://gw-1:9988 --gateway-ops http://gw-2:9988 -o json | jq '.services[] | select(.ready | not)'
`,
  options: {
    'api-root': { type: 'string' },
    'discovery-ops': { type: 'string' },
    'ingest-ops': { type: 'string' },
    'gateway-ops': { type: 'string', multiple: true },
    'plugins-ops': { type: 'string' },
    format: { type: 'string', short: 'o' },
  },
  async run({ flags, all }, defaults) {
    const format = reportFormat(flags.get('format'), defaults.tty);
    const apiRoot = flags.get('api-root') ?? defaults.apiRoot;
    const targets: [ServiceName, string][] = [
      ['discovery', flags.get('discovery-ops') ?? 'http://localhost:9990'],
      ['ingest', flags.get('ingest-ops') ?? 'http://localhost:9987'],
      ...(all.get('gateway-ops') ?? ['http://localhost:9988']).map((url): [ServiceName, string] => [
        'gateway',
        url,
      ]),
      ...(flags.has('plugins-ops') ? [['plugins', flags.get('plugins-ops')!] as [ServiceName, string]] : []),
    ];
    const [catalog, ...probes] = await Promise.all([
      readCatalog(
        (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }),
        apiRoot,
      ).catch((error: unknown) => error as Error),
      ...targets.map(([service, url]) => probe(service, url)),
    ]);
    const bounds = catalog instanceof Error ? undefined : historyBoundsOf(catalog);
    const ingestHeight = probes
      .filter(({ status }) => status.service === 'ingest')
      .map(({ metrics }) => gauge(metrics, 'blockcast_ingest_last_appended_height'))
      .find((height) => height !== undefined);
    const services = probes.map(({ status, metrics }): ServiceStatus => {
      switch (status.service) {
        case 'ingest':
          return {
            ...status,
            ...defined({ height: gauge(metrics, 'blockcast_ingest_last_appended_height') }),
          };
        case 'gateway':
          return {
            ...status,
            ...defined({
              height: gauge(metrics, 'blockcast_gateway_height'),
              lag_blocks: gauge(metrics, 'blockcast_gateway_log_lag_blocks'),
              lag_seconds: gauge(metrics, 'blockcast_gateway_log_lag_seconds'),
            }),
          };
        case 'discovery': {
          if (catalog instanceof Error)
            return {
              ...status,
              ready: false,
              reason: `catalog ${apiRoot}streams unreadable: ${catalog.message}`,
            };
          const head = bounds?.head ?? undefined;
          return {
            ...status,
            ...defined({
              height: head,
              // The catalog is cached for a moment: behind ingest by what it has not seen yet.
              lag_blocks:
                head === undefined || ingestHeight === undefined
                  ? undefined
                  : Math.max(0, ingestHeight - head),
            }),
          };
        }
        default:
          return {
            ...status,
            plugins: Object.fromEntries(
              samples(metrics, 'blockcast_plugins_running').map(({ labels, value }) => [
                /plugin="([^"]*)"/.exec(labels)?.[1] ?? labels,
                value === 1,
              ]),
            ),
          };
      }
    });
    const ready = services.every((service) => service.ready);
    if (format === 'json') {
      process.stdout.write(
        `${JSON.stringify({ ready, epoch: bounds?.epoch ?? null, head: bounds?.head ?? null, services })}\n`,
      );
    } else {
      const shown = (value: number | undefined, unit = '') => (value === undefined ? '—' : `${value}${unit}`);
      process.stdout.write(
        `${[
          `epoch ${bounds?.epoch ?? '—'}  head ${shown(bounds?.head ?? undefined)}`,
          table(
            [
              ['service', 'ops', 'ready', 'height', 'lag', 'detail'],
              ...services.map((service) => [
                service.service,
                service.url,
                service.ready ? 'yes' : 'NO',
                shown(service.height),
                service.lag_blocks === undefined
                  ? '—'
                  : `${service.lag_blocks} blocks${service.lag_seconds === undefined ? '' : `, ${service.lag_seconds.toFixed(3)} s`}`,
                [
                  service.reason ?? '',
                  ...Object.entries(service.plugins ?? {}).map(
                    ([name, running]) => `${name} ${running ? 'running' : 'DOWN'}`,
                  ),
                ]
                  .filter((part) => part !== '')
                  .join(', '),
              ]),
            ],
            '',
          ),
        ].join('\n')}\n`,
      );
    }
    return ready ? ExitCode.DONE : ExitCode.NOT_READY;
  },
};

/** The fields whose value is known. */
function defined<T extends Record<string, number | undefined>>(fields: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<
    Record<keyof T, number>
  >;
}
