/**
 * Generic events on the real stack, every part its own process: events POSTed to an ingest
 * process between blocks reach a plugin host's plugins in bus order, by exact mask.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeBlock, type ServiceProcess, startService, waitUntil } from '@blockcast/devkit';
import { recordedEvents } from '../support/plugin-records.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';

const available = await redisOrSkip();
const FIXTURES = './test/plugins/fixtures';

describe('generic events end to end', { ...('skip' in available ? { skip: available.skip } : {}) }, () => {
  test('ingest → bus → plugin host: emitted events arrive between the blocks in bus order; a block-only plugin gets none', async (t) => {
    if (!('redis' in available)) return;
    const [blockToken, appToken] = [randomBytes(24).toString('hex'), randomBytes(24).toString('hex')];
    const prefix = uniquePrefix('e2e-events');
    const recordDir = mkdtempSync(join(tmpdir(), 'blockcast-e2e-events-'));
    const [ingestPort, ingestOps, hostOps] = [await freePort(), await freePort(), await freePort()];
    const shared = { REDIS_URL: available.redis.url, BLOCKCAST_STREAM_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const services: ServiceProcess[] = [];
    t.after(() => Promise.all(services.map((service) => service.stop(3000))));
    const ingest = startService('ingest', {
      env: {
        ...shared,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(ingestPort),
        INGEST_OPS_PORT: String(ingestOps),
        INGEST_TOKENS: blockToken,
        INGEST_EVENT_TOKENS: appToken,
      },
    });
    services.push(ingest);
    const host = startService('plugins', {
      env: {
        ...shared,
        PLUGINS: `status=${FIXTURES}/node-status-only.mjs,mixed=${FIXTURES}/json-recorder.mjs,blocks=${FIXTURES}/recorder.mjs`,
        PLUGINS_START: 'first',
        PLUGINS_HOST: '127.0.0.1',
        PLUGINS_OPS_PORT: String(hostOps),
        PLUGIN_RECORD_DIR: recordDir,
      },
    });
    services.push(host);
    await ingest.waitUntilReady(`http://127.0.0.1:${ingestOps}/readyz`);
    await host.waitUntilReady(`http://127.0.0.1:${hostOps}/readyz`);

    const post = async (path: string, token: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`http://127.0.0.1:${ingestPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as Record<string, unknown>;
    };
    // The bus order the plugins must see, built from what ingest answered.
    const expected: string[] = [];
    for (const height of [1, 2, 3]) {
      await post('/api/v1/blocks', blockToken, makeBlock(height, 1));
      expected.push(`${height}:BLOCK_VALID`);
      for (const i of [0, 1]) {
        const content = { node_id: `node-${i}`, status: 'up', height };
        const answer = await post('/api/v1/events/NODE_STATUS', appToken, { content });
        expected.push(`${answer.position}:NODE_STATUS`);
      }
      await post('/api/v1/events/APP_MESSAGE', appToken, { content: { topic: 'ignored', body: height } });
    }

    const ids = (plugin: string): string[] => {
      const file = join(recordDir, `${plugin}.jsonl`);
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { id: string }).id);
    };
    await waitUntil(
      () => ids('mixed').length >= expected.length,
      20_000,
      'the mixed plugin took everything',
      50,
    );
    await waitUntil(() => ids('status').length >= 6, 10_000, 'the status plugin took everything', 50);
    await waitUntil(() => recordedEvents(recordDir, 'blocks').length >= 3, 10_000, 'the block plugin', 50);
    assert.deepEqual(ids('mixed'), expected, 'BLOCK_VALID | NODE_STATUS: bus order, APP_MESSAGE left out');
    assert.deepEqual(
      ids('status'),
      expected.filter((id) => id.endsWith(':NODE_STATUS')),
    );
    assert.deepEqual(
      recordedEvents(recordDir, 'blocks').map((event) => `${event.height} ${event.name}`),
      ['1 BLOCK_VALID', '2 BLOCK_VALID', '3 BLOCK_VALID'],
    );
  });
});
