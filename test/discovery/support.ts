/** Shared by the discovery tests: an app built from env-style config, and GET through the injector. */
import type { TestContext } from 'node:test';
import { buildDiscoveryApp, type DiscoveryApp, loadDiscoveryConfig } from '@blockcast/discovery';

/** Builds an app from environment variables (so tests also cover the config path), closed after the test. */
export function discoveryApp(t: TestContext, env: Record<string, string> = {}): DiscoveryApp {
  const app = buildDiscoveryApp({
    config: loadDiscoveryConfig({
      DISCOVERY_HOST: '127.0.0.1',
      DISCOVERY_PORT: '0',
      DISCOVERY_OPS_PORT: '0',
      ...env,
    }),
  });
  t.after(() => app.close());
  return app;
}

/** GET through fastify's injector; returns the status, headers and the body as sent. */
export async function get(app: DiscoveryApp, url: string) {
  const response = await app.fastify.inject({ method: 'GET', url });
  return { status: response.statusCode, headers: response.headers, text: response.body };
}
