import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per service instance (several instances share a process in `npm start`
 * and in tests), default process metrics on, names prefixed `blockcast_<service>_`.
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: `blockcast_${service}_` });
  return registry;
}
