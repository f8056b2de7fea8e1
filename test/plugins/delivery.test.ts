/** The plugin host on real Redis and real processes: masks, at-least-once across kills, restarts counted. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, makeBlockEvents, waitUntil } from '@blockcast/devkit';
import { FIXTURES, type Received, redisSkip, startHost } from './plugins-harness.js';

function heights(received: Received[]): number[] {
  return received.map((event) => event.height);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('plugin host', { skip: redisSkip }, () => {
  test('a plugin process killed mid-stream is restarted, gets every event at least once and in order, and ends with all acknowledged', async (t) => {
    const host = await startHost(t, { PLUGINS: `killed=./${FIXTURES}/recorder.mjs` });
    // Read by the fixture in the plugin process, which inherits this environment.
    process.env.PLUGIN_RECORD_DELAY_MS = '15';
    t.after(() => delete process.env.PLUGIN_RECORD_DELAY_MS);
    await host.app.start();
    const blocks = Array.from({ length: 40 }, (_, i) => makeBlockEvent(i + 1, 1));
    for (const block of blocks) await host.log.append(block);
    await waitUntil(() => host.received('killed').length >= 10, 10_000, 'ten events received');
    const killedPid = host.app.plugins[0]?.pid;
    assert.ok(killedPid !== undefined, 'the plugin process is up');
    process.kill(killedPid, 'SIGKILL');
    await waitUntil(
      () => host.received('killed').some((event) => event.height === 40),
      20_000,
      'height 40 received',
    );
    await waitUntil(async () => (await host.pending('killed')) === 0, 5000, 'nothing pending');

    const received = host.received('killed');
    const before = received.filter((event) => event.pid === killedPid);
    const afterKill = received.filter((event) => event.pid !== killedPid);
    assert.ok(before.length >= 10 && afterKill.length > 0, 'events on both sides of the kill');
    assert.deepEqual(heights(before), range(1, before.length), 'in order before the kill');
    const resumedAt = afterKill[0]!.height;
    // At least once: the restarted process starts at or before the first height not yet taken.
    assert.ok(resumedAt <= before.length + 1 && resumedAt >= before.length - 1, `resumed at ${resumedAt}`);
    assert.deepEqual(heights(afterKill), range(resumedAt, 40), 'in order after the restart');
    assert.deepEqual(
      [...new Set(heights(received))].sort((a, b) => a - b),
      range(1, 40),
      'every height',
    );
    assert.equal(await host.metric('blockcast_plugins_failures_total', 'killed'), 1);
    assert.equal(await host.metric('blockcast_plugins_restarts_total', 'killed'), 1);
  });

  test('a BLOCK_INVALID-only plugin receives the blocks with rejected transactions and no valid-block events', async (t) => {
    const host = await startHost(t, { PLUGINS: `invalid=./${FIXTURES}/invalid-only.mjs` });
    await host.app.start();
    const blocks = makeBlockEvents(1, 12);
    for (const block of blocks) await host.log.append(block);
    const withRejected = blocks.filter((block) => block.rejected.length > 0).map((block) => block.height);
    assert.ok(withRejected.length >= 2, 'the chain has blocks with rejected transactions');
    await waitUntil(
      async () =>
        (await host.pending('invalid')) === 0 && host.received('invalid').length >= withRejected.length,
      10_000,
      'all taken',
    );
    // The last block's entry is acknowledged without delivery: once it is, nothing else can arrive.
    await waitUntil(
      async () => (await host.metric('blockcast_plugins_events_total', 'invalid')) === withRejected.length,
      5000,
      'events counted',
    );
    const received = host.received('invalid');
    assert.deepEqual(
      received.map((event) => event.name),
      withRejected.map(() => 'BLOCK_INVALID'),
    );
    assert.deepEqual(heights(received), withRejected);
  });

  test('a plugin whose run() throws is restarted, the failure and restart are counted, and the event comes again', async (t) => {
    const host = await startHost(t, { PLUGINS: `thrower=./${FIXTURES}/throws-once.mjs` });
    await host.app.start();
    for (const block of makeBlockEvents(1, 6)) await host.log.append(block);
    await waitUntil(
      () => host.received('thrower').some((event) => event.height === 6),
      10_000,
      'height 6 received',
    );
    assert.deepEqual(
      heights(host.received('thrower')),
      range(1, 6),
      'height 3 delivered again after the restart',
    );
    assert.equal(await host.metric('blockcast_plugins_failures_total', 'thrower'), 1);
    assert.equal(await host.metric('blockcast_plugins_restarts_total', 'thrower'), 1);
    await waitUntil(async () => (await host.pending('thrower')) === 0, 5000, 'nothing pending');
  });

  test('a restarted host continues where its plugin stopped: nothing twice after a clean stop', async (t) => {
    const first = await startHost(t, { PLUGINS: `resumer=./${FIXTURES}/recorder.mjs` });
    await first.app.start();
    const block = (height: number) => makeBlockEvent(height, 1);
    for (const height of range(1, 5)) await first.log.append(block(height));
    await waitUntil(() => first.received('resumer').length === 5, 10_000, 'five events');
    await waitUntil(async () => (await first.pending('resumer')) === 0, 5000, 'five acknowledged');
    await first.app.close();
    for (const height of range(6, 8)) await first.log.append(block(height));
    const second = await startHost(t, {
      PLUGINS: `resumer=./${FIXTURES}/recorder.mjs`,
      BLOCKCAST_STREAM_PREFIX: first.prefix,
    });
    await second.app.start();
    await waitUntil(() => first.received('resumer').length >= 8, 10_000, 'eight events');
    assert.deepEqual(heights(first.received('resumer')), range(1, 8));
  });

  test('a module that is not a plugin stops start() with a message naming the plugin and what is missing', async (t) => {
    const host = await startHost(t, { PLUGINS: `broken=./${FIXTURES}/not-a-plugin.mjs` });
    await assert.rejects(
      host.app.start(),
      /plugin "broken" \(.*not-a-plugin\.mjs\) exports no run\(events\) function/,
    );
    assert.equal(host.app.plugins[0]!.state, 'refused');
  });

  test('a plugin that ignores the stop is killed after PLUGINS_SHUTDOWN_GRACE_MS, and its event stays pending', async (t) => {
    const host = await startHost(t, {
      PLUGINS: `stubborn=./${FIXTURES}/ignores-stop.mjs`,
      PLUGINS_SHUTDOWN_GRACE_MS: '300',
    });
    await host.app.start();
    await host.log.append(makeBlockEvent(1, 1));
    await waitUntil(async () => (await host.pending('stubborn')) === 1, 5000, 'the event handed over');
    const started = Date.now();
    await host.app.close();
    const took = Date.now() - started;
    assert.ok(took >= 250, `closed in ${took} ms: the plugin was given its grace period first`);
    assert.ok(took < 5000, `closed in ${took} ms: killed after the grace period, not waited on`);
    assert.equal(host.app.plugins[0]!.state, 'stopped');
    assert.equal(
      await host.pending('stubborn'),
      1,
      'never acknowledged: delivered again after the next start',
    );
  });

  test('close() during start() ends both, within the grace period, instead of leaving start() waiting', async (t) => {
    const host = await startHost(t, {
      PLUGINS: `slow=./${FIXTURES}/slow-to-load.mjs`,
      PLUGINS_SHUTDOWN_GRACE_MS: '300',
    });
    const starting = host.app.start();
    await waitUntil(() => host.app.plugins[0]!.pid !== undefined, 5000, 'the plugin process forked');
    const began = Date.now();
    await Promise.all([
      host.app.close(),
      assert.rejects(starting, /the plugin host was closed while starting/),
    ]);
    assert.ok(Date.now() - began < 5000, 'settled well before the module would have loaded');
    assert.equal(host.app.plugins[0]!.state, 'stopped');
  });
});
