/** services/plugins/src/main.ts as a process: the example package and the console plugin on a real bus. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort, makeBlockEvent, startService, uniquePrefix } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { Redis } from 'ioredis';
import { testRedis } from '../support/redis.js';
import { redisSkip } from './plugins-harness.js';

/** Variables this process may carry that would change what the host under test reads. */
const NO_PLUGINS_ENV = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('PLUGINS') || name.startsWith('REDIS_'))
    .map((name) => [name, '']),
);

describe('plugins main.ts', () => {
  test('without PLUGINS it exits 1 naming the variable', async () => {
    const service = startService('plugins', { env: { ...NO_PLUGINS_ENV, REDIS_URL: 'redis://127.0.0.1:1' } });
    assert.equal(await service.exited, 1);
    assert.match(service.output(), /blockcast-plugins: cannot start: PLUGINS: name at least one plugin/);
  });

  test(
    'runs the example package and the console plugin, each printing every block, and exits 0 on SIGTERM',
    { skip: redisSkip },
    async (t) => {
      const redis = (await testRedis())!;
      const prefix = uniquePrefix('plugins-main');
      const opsPort = await freePort();
      const service = startService('plugins', {
        env: {
          ...NO_PLUGINS_ENV,
          PLUGINS: './examples/plugin-example,console',
          PLUGINS_START: 'first',
          PLUGINS_HOST: '127.0.0.1',
          PLUGINS_OPS_PORT: String(opsPort),
          REDIS_URL: redis.url,
          BLOCKCAST_STREAM_PREFIX: prefix,
        },
      });
      t.after(() => service.stop(2000));
      const client = new Redis(redis.url);
      const log = new RedisStreamLog({ redis: client, prefix });
      t.after(async () => {
        await log.close();
        await client.quit();
      });
      await service.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
      const blocks = [makeBlockEvent(1, 2), makeBlockEvent(2, 1, { rejected: 1 })];
      for (const block of blocks) await log.append(block);

      const [one, two] = blocks as [(typeof blocks)[0], (typeof blocks)[0]];
      await service.waitForOutput(
        new RegExp(`rejected ${two.rejected[0]!.id} \\(code 1: input already spent\\)`),
      );
      const output = service.output();
      assert.match(
        output,
        new RegExp(`\\[example\\] block 1: 2 valid transaction\\(s\\) ${one.transactions[0]!.id}`),
      );
      assert.match(output, /\[example\] block 2: 1 valid transaction\(s\)/);
      await service.waitForOutput(/"height": 2, "hash"/);
      assert.equal(
        (service.output().match(/^\{"type": "BLOCK_VALID"/gm) ?? []).length,
        2,
        'console: one line per block',
      );
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      assert.match(metrics, /blockcast_plugins_running\{plugin="plugin-example",service="plugins"\} 1/);
      assert.equal(await service.stop(10_000), 0, service.output());
    },
  );
});
