/**
 * Clients through a Redis Sentinel failover (one master, one replica, three Sentinels): ingest and
 * both gateways follow the new master by themselves. Blocks the new master never got — sent to
 * the old master between the promotion and its demotion, or lost in the asynchronous replication
 * window — are re-appended by the sender (told HEIGHT_GAP), and every client still ends with
 * every block: told with 4011 when a gateway had already sent it a height the new master lacked.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { startSentinelTopology, waitUntil } from '@blockcast/devkit';
import { Redis } from 'ioredis';
import { finishScenario, startScenario } from '../support/chaos-scenario.js';
import { chaosSkip, signal } from '../support/chaos-topology.js';

/** `role:` from INFO replication, on a connection of its own. */
async function roleOf(port: number): Promise<string | undefined> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    return /role:(\w+)/.exec(await client.info('replication'))?.[1];
  } finally {
    client.disconnect();
  }
}

async function startRun(t: TestContext) {
  const sentinels = await startSentinelTopology();
  return { sentinels, ...(await startScenario(t, { sentinels })) };
}

test(
  'Sentinel failover (SENTINEL FAILOVER): ingest and gateways follow the new master, every client completes',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const run = await startRun(t);
    const before = await run.sentinels.master();
    const after = await run.sentinels.failover();
    const promoted = { at: Date.now(), height: run.sender.acknowledged };
    assert.notEqual(after.port, before.port, 'another node is master');
    // Until the Sentinels turn the old master into a replica it still takes writes, and those are
    // lost when it resynchronises: the scenario runs on past that point.
    await waitUntil(
      async () => (await roleOf(before.port)) === 'slave',
      20_000,
      'the old master a replica',
      100,
    );
    // From its demotion: what it took after the promotion is gone now and must come back.
    const faultHeight = run.sender.acknowledged;
    const faultAt = Date.now();
    t.diagnostic(
      `chaos-old-master ${JSON.stringify({ demotedAfterMs: faultAt - promoted.at, acknowledgedMeanwhile: faultHeight - promoted.height })}`,
    );
    const recoveryMs = await run.clients.recoveredAfter(faultHeight, faultAt, 30_000);
    await finishScenario(t, 'Sentinel failover', run, recoveryMs);
  },
);

test(
  'Sentinel failover losing the replication window: the sender re-appends the lost heights, every client completes',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const run = await startRun(t);
    const master = await run.sentinels.master();
    const replica = run.sentinels.nodes.find((node) => node !== master)!;
    // The replica stops and its link is cut, so the next blocks reach only the master; then the
    // master stops too and the Sentinels promote the replica, which never got them.
    signal(replica.pid, 'SIGSTOP');
    const direct = new Redis({ port: master.port, host: '127.0.0.1' });
    assert.ok(Number(await direct.client('KILL', 'TYPE', 'replica')) >= 1, 'the replication link cut');
    direct.disconnect();
    const synced = run.sender.acknowledged;
    await waitUntil(() => run.sender.acknowledged >= synced + 10, 10_000, '10 blocks on the master alone');
    const faultHeight = run.sender.acknowledged;
    const faultAt = Date.now();
    signal(master.pid, 'SIGSTOP');
    signal(replica.pid, 'SIGCONT');
    await waitUntil(
      async () => (await run.sentinels.master().catch(() => master)) === replica,
      30_000,
      'the replica promoted',
      200,
    );
    signal(master.pid, 'SIGCONT');
    const recoveryMs = await run.clients.recoveredAfter(faultHeight, faultAt, 40_000);
    const outcome = await finishScenario(
      t,
      'Sentinel failover losing the replication window',
      run,
      recoveryMs,
    );
    assert.ok(outcome.senderRewinds > 0, 'the sender was told of the gap and re-sent the lost heights');
  },
);
