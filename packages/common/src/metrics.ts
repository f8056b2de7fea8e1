import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The release running, from the root package.json (two levels above this package's src and dist). */
export const BUILD_VERSION = readBuildVersion();

/**
 * One registry per service instance (several instances share a process in `npm start`
 * and in tests), default process metrics on, names prefixed `blockcast_<service>_`, and
 * `blockcast_build_info{service,version} 1` so dashboards can tell releases apart.
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: `blockcast_${service}_` });
  new Gauge({
    name: 'blockcast_build_info',
    help: 'Always 1; the labels say which service and which release this process runs.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: BUILD_VERSION }, 1);
  return registry;
}

function readBuildVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${manifest.pathname} has no "version"`);
  return version;
}
