/** services/ingest/src/main.ts as a process: refuses a bad environment, serves, shuts down on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SERVICE_ENTRIES, startService } from '../../scripts/service-process.js';
import { makeBlock } from '../support/blocks.js';
import { freePort, testRedis, uniquePrefix } from '../support/redis.js';
import { JSON_WITH_TOKEN, redisSkip, TOKEN } from './ingest-harness.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs main.ts until it exits; stderr kept apart from stdout. */
async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVICE_ENTRIES.ingest], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('ingest main.ts', () => {
  test('a bad variable exits 1 with the variable named on stderr', async () => {
    const { code, stderr } = await runUntilExit({ INGEST_TOKENS: TOKEN, INGEST_PORT: 'http' });
    assert.equal(code, 1);
    assert.match(stderr, /^blockcast-ingest: cannot start: INGEST_PORT: expected an integer, got "http"$/m);
  });

  test('no credentials exits 1 naming INGEST_TOKENS and the development escape hatch', async () => {
    const { code, stderr } = await runUntilExit({});
    assert.equal(code, 1);
    assert.match(stderr, /cannot start: INGEST_TOKENS: no credentials.*INGEST_ALLOW_NO_AUTH/);
  });

  test(
    'it serves blocks on Redis and SIGTERM shuts it down cleanly (exit 0)',
    { skip: redisSkip },
    async () => {
      const redis = (await testRedis())!;
      const port = await freePort();
      const prefix = uniquePrefix('ingest-main');
      const service = startService('ingest', {
        env: {
          INGEST_HOST: '127.0.0.1',
          INGEST_PORT: String(port),
          INGEST_TOKENS: TOKEN,
          REDIS_URL: redis.url,
          BLOCKCAST_STREAM_PREFIX: prefix,
        },
      });
      const inspector = new Redis(redis.url);
      try {
        await service.waitUntilReady(`http://127.0.0.1:${port}/readyz`);
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
