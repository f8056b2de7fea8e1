/** services/ingest/src/main.ts as a process: refuses a bad environment, serves, shuts down on SIGTERM. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlock, startService } from '@blockcast/devkit';
import { Redis } from 'ioredis';
import { freePort, testRedis, uniquePrefix } from '../support/redis.js';
import { JSON_WITH_TOKEN, redisSkip, TOKEN } from './ingest-harness.js';

/**
 * Every ingest variable the runner would otherwise inherit from this process, blanked (an empty
 * value counts as unset), so a test sees only the environment it states.
 */
const NO_INGEST_ENV = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('INGEST_') || name.startsWith('REDIS_'))
    .map((name) => [name, '']),
);

/** Runs main.ts until it exits by itself; its output is stdout and stderr together. */
async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const service = startService('ingest', { env: { ...NO_INGEST_ENV, ...env } });
  const timer = setTimeout(() => void service.stop(1000), 20_000);
  const code = await service.exited;
  clearTimeout(timer);
  return { code, output: service.output() };
}

describe('ingest main.ts', () => {
  test('a bad variable exits 1 with the variable named in its output', async () => {
    const { code, output } = await runUntilExit({ INGEST_TOKENS: TOKEN, INGEST_PORT: 'http' });
    assert.equal(code, 1, output);
    assert.match(output, /^blockcast-ingest: cannot start: INGEST_PORT: expected an integer, got "http"$/m);
  });

  test('an ingest process without Redis exits 1 naming REDIS_URL', async () => {
    const { code, output } = await runUntilExit({ INGEST_TOKENS: TOKEN });
    assert.equal(code, 1, output);
    assert.match(output, /cannot start: REDIS_URL: required for an ingest process/);
  });

  test('no credentials exits 1 naming INGEST_TOKENS and the development escape hatch', async () => {
    const { code, output } = await runUntilExit({});
    assert.equal(code, 1, output);
    assert.match(output, /cannot start: INGEST_TOKENS: no credentials.*INGEST_ALLOW_NO_AUTH/);
  });

  test(
    'it serves blocks on Redis, probes on the ops port, and SIGTERM shuts it down cleanly (exit 0)',
    { skip: redisSkip },
    async () => {
      const redis = (await testRedis())!;
      const port = await freePort();
      const opsPort = await freePort();
      const prefix = uniquePrefix('ingest-main');
      const service = startService('ingest', {
        env: {
          ...NO_INGEST_ENV,
          LOG_LEVEL: 'info',
          INGEST_HOST: '127.0.0.1',
          INGEST_PORT: String(port),
          INGEST_OPS_PORT: String(opsPort),
          INGEST_TOKENS: TOKEN,
          REDIS_URL: redis.url,
          BLOCKCAST_STREAM_PREFIX: prefix,
        },
      });
      const inspector = new Redis(redis.url);
      try {
        await service.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
        await service.waitForOutput(new RegExp(`"opsPort":${opsPort}.*"msg":"ingest listening"`));
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/blocks`, {
          method: 'POST',
          headers: JSON_WITH_TOKEN,
          body: JSON.stringify(makeBlock(1, 3)),
        });
        assert.equal(response.status, 201);
        assert.equal(await service.stop(5000), 0, service.output());
        assert.match(service.output(), /"msg":"closed"/);
        assert.equal(await inspector.xlen(`${prefix}blocks`), 1);
      } finally {
        await service.stop(1000);
        await inspector.quit();
      }
    },
  );
});
