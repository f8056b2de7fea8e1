/** Generic events through the plugin host on real Redis and real plugin processes: exact masks, bus order. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeBlockEvent, waitUntil } from '@blockcast/devkit';
import type { EmitRequest } from '@blockcast/event-log';
import { type GenericEvent, genericEventFrame } from '@blockcast/protocol';
import { FIXTURES, redisSkip, startHost } from './plugins-harness.js';

interface JsonRecord {
  type: number;
  name: string;
  height: number;
  id: string;
  json: string;
  block?: number;
  seq?: number;
  event?: GenericEvent;
}

function jsonRecords(plugin: string): JsonRecord[] {
  const file = join(process.env.PLUGIN_RECORD_DIR!, `${plugin}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonRecord);
}

const status = (message: string): EmitRequest => ({
  type: 'NODE_STATUS',
  content: { node_id: 'node-1', status: 'syncing', message },
  emittedAt: 1_700_000_000_000,
});
const appMessage: EmitRequest = { type: 'APP_MESSAGE', content: { topic: 't', body: [1] }, emittedAt: 1 };

describe('plugin host with generic events', { skip: redisSkip }, () => {
  test('plugins get emitted events in bus order between the blocks, exactly by mask; a block-only plugin gets none', async (t) => {
    const host = await startHost(t, {
      PLUGINS: [
        `mixed=./${FIXTURES}/json-recorder.mjs`,
        `status=./${FIXTURES}/node-status-only.mjs`,
        `blocks=./${FIXTURES}/recorder.mjs`,
      ].join(','),
    });
    await host.app.start();
    const early = await host.log.emit(status('before any block'));
    await host.log.append(makeBlockEvent(1, 0));
    const afterOne = await host.log.emit(status('after 1'));
    await host.log.emit(appMessage);
    await host.log.append(makeBlockEvent(2, 1, { rejected: 1 }));
    const afterTwo = await host.log.emit(status('after 2'));
    await host.log.append(makeBlockEvent(3, 0));

    await waitUntil(
      async () =>
        jsonRecords('mixed').length >= 6 &&
        jsonRecords('status').length >= 3 &&
        host.received('blocks').length >= 4 &&
        (await Promise.all(['mixed', 'status', 'blocks'].map((name) => host.pending(name)))).every(
          (n) => n === 0,
        ),
      15_000,
      'every plugin took everything',
    );
    const emitted = [early.event, afterOne.event, afterTwo.event];
    assert.deepEqual(
      jsonRecords('mixed').map((record) => record.id),
      [
        '0-1:NODE_STATUS',
        '1:BLOCK_VALID',
        '1-1:NODE_STATUS',
        '2:BLOCK_VALID',
        '2-1:NODE_STATUS',
        '3:BLOCK_VALID',
      ],
      'bus order, blocks and NODE_STATUS, no APP_MESSAGE',
    );
    const statusRecords = jsonRecords('status');
    assert.deepEqual(
      statusRecords,
      emitted.map((event) => ({
        type: 4,
        name: 'NODE_STATUS',
        height: event.height,
        id: `${event.height}-${event.seq}:NODE_STATUS`,
        json: genericEventFrame(event),
        seq: event.seq,
        event,
      })),
      'only NODE_STATUS, each with its frame byte for byte and the event as on the bus',
    );
    assert.deepEqual(
      host.received('blocks').map((record) => `${record.height} ${record.name}`),
      ['1 BLOCK_VALID', '2 BLOCK_VALID', '2 BLOCK_INVALID', '3 BLOCK_VALID'],
      'a block-only plugin gets no generic event',
    );
    assert.equal(await host.metric('blockcast_plugins_events_total', 'status'), 3);
  });
});
