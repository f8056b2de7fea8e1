import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startService } from '@blockcast/devkit';

describe('services/discovery/src/main.ts', () => {
  test('a bad variable exits 1 naming it', { timeout: 30_000 }, async () => {
    const run = startService('discovery', { env: { ADVERTISED_STREAMS_SCHEME: 'https' } });
    assert.equal(await run.exited, 1);
    assert.match(run.output(), /^discovery: cannot start: ADVERTISED_STREAMS_SCHEME: /m);
  });

  test('a DISCOVERY_OPS_PORT equal to DISCOVERY_PORT exits 1 naming it', { timeout: 30_000 }, async () => {
    const run = startService('discovery', { env: { DISCOVERY_PORT: '19990', DISCOVERY_OPS_PORT: '19990' } });
    assert.equal(await run.exited, 1);
    assert.match(run.output(), /^discovery: cannot start: DISCOVERY_OPS_PORT: /m);
  });

  test(
    'serves the API and the ops port, logs both as JSON, and exits 0 on SIGTERM',
    { timeout: 30_000 },
    async () => {
      const run = startService('discovery', {
        env: {
          DISCOVERY_HOST: '127.0.0.1',
          DISCOVERY_PORT: '0',
          DISCOVERY_OPS_PORT: '0',
          BLOCKCAST_PROFILE: 'planetmint',
        },
      });
      const output = await run.waitForOutput(/discovery listening.*\n/);
      const line = output.split('\n').find((entry) => entry.includes('discovery listening'))!;
      const { url, opsPort } = JSON.parse(line) as { url: string; opsPort: number };
      const root = (await (await fetch(`${url}/`)).json()) as { software: string };
      assert.equal(root.software, 'Planetmint');
      assert.equal((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status, 200);
      assert.equal(await run.stop(), 0);
    },
  );
});
