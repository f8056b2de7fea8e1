/**
 * The plugin host at the edges of the history, on real Redis with real plugin processes: a host
 * stopped while retention trimmed past its plugins, and the bus stream deleted under a running host.
 * Each is signalled — to the plugin (onGap / onReset), in the metrics and on /readyz — never skipped.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, waitUntil } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { FIXTURES, type Received, redisSkip, startHost } from './plugins-harness.js';

function heights(received: Received[]): number[] {
  return received.map((event) => event.height);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function readyz(opsPort: number): Promise<{ status: number; reason?: string }> {
  const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, reason: body.reason };
}

describe('plugin host at the edges of the history', { skip: redisSkip }, () => {
  test('a host stopped while retention trimmed past it tells each plugin the exact gap, counts it, and delivers the rest', async (t) => {
    const plugins = `gapped=./${FIXTURES}/signal-recorder.mjs,plain=./${FIXTURES}/recorder.mjs`;
    const first = await startHost(t, { PLUGINS: plugins });
    await first.app.start();
    const trimming = new RedisStreamLog({ redis: first.redis, prefix: first.prefix, retainBlocks: 50 });
    for (const height of range(1, 20)) await trimming.append(makeBlockEvent(height, 1));
    for (const name of ['gapped', 'plain']) {
      await waitUntil(() => first.received(name).length === 20, 10_000, `${name}: twenty events`);
      await waitUntil(async () => (await first.pending(name)) === 0, 5000, `${name}: all taken`);
    }
    await first.app.close();
    for (const height of range(21, 320)) await trimming.append(makeBlockEvent(height, 1));
    const [oldestEntry] = await first.redis.xrange(trimming.key, '-', '+', 'COUNT', 1);
    const oldest = Number(oldestEntry![0].split('-')[0]);
    assert.ok(oldest > 21, `retention trimmed past height 21 (oldest ${oldest})`);

    const second = await startHost(t, { PLUGINS: plugins, BLOCKCAST_STREAM_PREFIX: first.prefix });
    await second.app.start();
    for (const name of ['gapped', 'plain']) {
      await waitUntil(() => second.received(name).at(-1)?.height === 320, 15_000, `${name}: height 320`);
      assert.deepEqual(
        heights(second.received(name)),
        [...range(1, 20), ...range(oldest, 320)],
        `${name}: everything retained, in order, once`,
      );
      assert.equal(await second.metric('blockcast_plugins_history_gaps_total', name), 1, `${name}: one gap`);
      assert.equal(
        await second.metric('blockcast_plugins_entries_skipped_total', name),
        oldest - 21,
        `${name}: the blocks 21..${oldest - 1} counted as skipped`,
      );
    }
    const signals = second.signals('gapped');
    assert.equal(signals.length, 1, 'one signal');
    const { pid: _pid, ...gap } = signals[0]!;
    assert.deepEqual(gap, {
      kind: 'gap',
      delivered: 20,
      from: { height: 20, seq: 1 },
      resumedAt: { height: oldest, seq: 0 },
      oldest: { height: oldest, seq: 0 },
      lost: oldest - 21,
    });
  });

  test('the stream deleted under a running host: readiness fails naming the reset, then the plugin is told and gets the new history from its start', async (t) => {
    const host = await startHost(t, { PLUGINS: `reset=./${FIXTURES}/signal-recorder.mjs` });
    const { opsPort } = await host.app.start();
    for (const height of range(1, 5)) await host.log.append(makeBlockEvent(height, 1));
    await waitUntil(() => host.received('reset').length === 5, 10_000, 'five events');
    await waitUntil(async () => (await host.pending('reset')) === 0, 5000, 'all taken');
    const before = await host.log.epoch();

    await host.redis.del(host.log.key);
    await waitUntil(async () => (await readyz(opsPort)).status === 503, 15_000, '/readyz fails');
    assert.match(
      (await readyz(opsPort)).reason ?? '',
      /^reset: not reading \(the bus was reset: waiting for the stream .*blocks to be recreated\)$/,
    );
    assert.equal(
      await host.metric('blockcast_plugins_running', 'reset'),
      0,
      'not running while it cannot read',
    );

    for (const height of range(1, 8)) await host.log.append(makeBlockEvent(height, 2));
    const after = await host.log.epoch();
    await waitUntil(() => host.received('reset').length === 13, 15_000, 'the new history');
    assert.deepEqual(heights(host.received('reset')), [...range(1, 5), ...range(1, 8)]);
    const signals = host.signals('reset').map(({ pid: _pid, ...signal }) => signal);
    assert.deepEqual(signals, [
      { kind: 'reset', delivered: 5, cause: 'reset', previousEpoch: before, epoch: after },
    ]);
    assert.equal(await host.metric('blockcast_plugins_resets_total', 'reset'), 1);
    assert.deepEqual(await readyz(opsPort), { status: 200, reason: undefined });
    assert.equal(await host.metric('blockcast_plugins_running', 'reset'), 1);
    await waitUntil(async () => (await host.pending('reset')) === 0, 5000, 'the new history taken');
  });

  test('a restore that lost blocks a plugin took, then other blocks written under the same heights: the plugin is told a rollback before them', async (t) => {
    const host = await startHost(t, { PLUGINS: `restored=./${FIXTURES}/signal-recorder.mjs` });
    await host.app.start();
    for (const height of range(1, 3)) await host.log.append(makeBlockEvent(height, 1));
    await waitUntil(() => host.received('restored').length === 3, 10_000, 'three events');
    await waitUntil(async () => (await host.pending('restored')) === 0, 5000, 'all taken');
    // DUMP keeps the group with the stream: RESTORE puts both back as an older snapshot would.
    const snapshot = await host.redis.dumpBuffer(host.log.key);
    for (const height of range(4, 5)) await host.log.append(makeBlockEvent(height, 1));
    await waitUntil(() => host.received('restored').length === 5, 10_000, 'five events');
    const before = await host.log.epoch();

    await host.redis.restore(host.log.key, 0, snapshot!, 'REPLACE');
    // Another writer (an ingest restarted after the restore): the same epoch, new blocks at 4 and 5, and 6.
    const writer = new RedisStreamLog({ redis: host.redis, prefix: host.prefix });
    for (const height of range(4, 6)) await writer.append(makeBlockEvent(height, 2));
    await waitUntil(() => host.received('restored').length === 8, 15_000, 'the new blocks');
    const after = await host.log.epoch();
    assert.notEqual(after, before, 'a new epoch started');
    const signals = host.signals('restored').map(({ pid: _pid, ...signal }) => signal);
    assert.deepEqual(signals, [
      { kind: 'reset', delivered: 5, cause: 'rollback', previousEpoch: before, epoch: after },
    ]);
    assert.deepEqual(heights(host.received('restored')), [...range(1, 5), ...range(4, 6)]);
  });
});
