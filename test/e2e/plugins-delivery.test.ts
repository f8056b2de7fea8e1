/**
 * Plugins on the real stack, every part its own process: blocks POSTed to an ingest process reach
 * plugins run by a plugin host process, by mask; the host killed outright mid-stream and started
 * again delivers every event at least once, in order, and ends with everything acknowledged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeBlock, type ServiceProcess, startService, waitUntil } from '@blockcast/devkit';
import { RedisConsumerGroup } from '@blockcast/event-log';
import type { CommittedBlock } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { recordedEvents } from '../support/plugin-records.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';

const available = await redisOrSkip();
const FIXTURES = './test/plugins/fixtures';

/** Sends `name` to `pid`; false when there is no such process. */
function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** The events a plugin with that mask must see for `blocks`, in order: `<height> <name>`. */
function expectedEvents(blocks: CommittedBlock[], mask: number): string[] {
  return blocks.flatMap((block) => [
    ...(mask & 1 ? [`${block.height} BLOCK_VALID`] : []),
    ...(mask & 2 && (block.rejected?.length ?? 0) > 0 ? [`${block.height} BLOCK_INVALID`] : []),
  ]);
}

describe('plugins end to end', { ...('skip' in available ? { skip: available.skip } : {}) }, () => {
  test('ingest → bus → plugin host: masks select, a killed host resumes with nothing lost and all acknowledged', async (t) => {
    if (!('redis' in available)) return;
    const token = randomBytes(24).toString('hex');
    const prefix = uniquePrefix('e2e-plugins');
    const recordDir = mkdtempSync(join(tmpdir(), 'blockcast-e2e-plugins-'));
    const [ingestPort, ingestOps] = [await freePort(), await freePort()];
    const shared = { REDIS_URL: available.redis.url, BLOCKCAST_STREAM_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const services: ServiceProcess[] = [];
    t.after(() => Promise.all(services.map((service) => service.stop(3000))));
    const ingest = startService('ingest', {
      env: {
        ...shared,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(ingestPort),
        INGEST_OPS_PORT: String(ingestOps),
        INGEST_TOKENS: token,
      },
    });
    services.push(ingest);
    const startHost = async () => {
      const opsPort = await freePort();
      const host = startService('plugins', {
        env: {
          ...shared,
          PLUGINS: `all=${FIXTURES}/recorder.mjs,invalid=${FIXTURES}/invalid-only.mjs`,
          PLUGINS_START: 'first',
          PLUGINS_HOST: '127.0.0.1',
          PLUGINS_OPS_PORT: String(opsPort),
          PLUGIN_RECORD_DIR: recordDir,
          PLUGIN_RECORD_DELAY_MS: '10',
        },
      });
      services.push(host);
      await host.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
      return host;
    };
    await ingest.waitUntilReady(`http://127.0.0.1:${ingestOps}/readyz`);
    const firstHost = await startHost();

    const blocks = Array.from({ length: 60 }, (_, i) =>
      makeBlock(i + 1, i % 3, { rejected: i % 4 === 1 ? 1 : 0 }),
    );
    for (const block of blocks) {
      const response = await fetch(`http://127.0.0.1:${ingestPort}/api/v1/blocks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(block),
      });
      assert.equal(response.status, 201);
    }
    await waitUntil(() => recordedEvents(recordDir, 'all').length >= 15, 15_000, 'a quarter delivered', 20);
    // The host and its plugin processes, all at once, with no chance to acknowledge anything more.
    firstHost.child.kill('SIGKILL');
    const runners = [...new Set(recordedEvents(recordDir, 'all').map((event) => event.pid))];
    for (const pid of runners) signal(pid, 'SIGKILL');
    await firstHost.exited;
    await waitUntil(() => runners.every((pid) => !signal(pid, 0)), 5000, 'plugin processes gone', 20);
    const beforeRestart = recordedEvents(recordDir, 'all').length;
    assert.ok(beforeRestart < expectedEvents(blocks, 3).length, 'killed mid-stream');
    await startHost();

    const all = expectedEvents(blocks, 3);
    const lastEvent = all[all.length - 1]!;
    const asText = (plugin: string) =>
      recordedEvents(recordDir, plugin).map((event) => `${event.height} ${event.name}`);
    await waitUntil(() => asText('all').at(-1) === lastEvent, 30_000, 'every event after the restart', 50);
    await waitUntil(
      () => asText('invalid').length >= expectedEvents(blocks, 2).length,
      10_000,
      'invalid events',
      50,
    );

    // At least once, in order: what the restarted host delivered continues from at or before where the first stopped.
    const got = asText('all');
    const resumed = got.slice(beforeRestart);
    const resumeIndex = all.indexOf(resumed[0]!);
    assert.ok(
      resumeIndex >= 0 && resumeIndex <= beforeRestart,
      `resumed at event ${resumeIndex}, had ${beforeRestart}`,
    );
    assert.deepEqual(resumed, all.slice(resumeIndex), 'in order, nothing skipped after the restart');
    assert.deepEqual(got.slice(0, beforeRestart), all.slice(0, beforeRestart), 'in order before the kill');
    assert.deepEqual(
      [...new Set(asText('invalid'))],
      expectedEvents(blocks, 2),
      'the BLOCK_INVALID-only plugin: no valid blocks',
    );

    const redis = new Redis(available.redis.url);
    t.after(() => redis.quit());
    for (const plugin of ['all', 'invalid']) {
      const group = new RedisConsumerGroup({ redis, prefix, group: `plugin:${plugin}`, consumer: plugin });
      await waitUntil(async () => (await group.pendingCount()) === 0, 5000, `${plugin}: nothing pending`, 50);
    }
  });
});
