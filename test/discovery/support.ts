/** Shared by the discovery tests: fixtures from shared/, and an app built from env-style config. */
import { readFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { buildDiscoveryApp, type DiscoveryApp, loadDiscoveryConfig } from '@blockcast/discovery';

/**
 * `shared/` sits beside the repository (here /work/shared, in CI a copy beside the clone), so the
 * path is relative to the repo root. A missing fixture fails the test: no fallback copy.
 */
export async function readFixture(path: string): Promise<unknown> {
  const url = new URL(`../../../shared/fixtures/${path}`, import.meta.url);
  return JSON.parse(await readFile(url, 'utf8'));
}

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
