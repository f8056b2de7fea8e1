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
import { BlockSender } from '../support/block-sender.js';
import { finishScenario, startScenario } from '../support/chaos-scenario.js';
import { ChaosTopology, chaosSkip, signal } from '../support/chaos-topology.js';

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

test(
  'with REDIS_WAIT_REPLICAS=1, after SENTINEL FAILOVER every block ingest acknowledges is on the new master',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const sentinels = await startSentinelTopology();
    // Without WAIT the old master takes (and acknowledges) writes until the Sentinels demote it,
    // about 10 s after the promotion; with it those appends are 503 NOT_REPLICATED and resent.
    const topology = await ChaosTopology.start({
      gateways: 1,
      sentinels,
      ingestEnv: { REDIS_WAIT_REPLICAS: '1' },
    });
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
    t.after(async () => {
      await sender.stop().catch(() => undefined);
      await topology.stop();
    });
    sender.start();
    await waitUntil(() => sender.acknowledged >= 20, 20_000, 'the first 20 blocks acknowledged');
    const promoted = await sentinels.failover();
    // 40 blocks acknowledged after the promotion: those in the window before the old master's
    // demotion must not be among them unless the new master has them.
    const target = sender.acknowledged + 40;
    await waitUntil(() => sender.acknowledged >= target, 45_000, '40 blocks after the promotion');
    const acknowledged = sender.acknowledged;
    const direct = new Redis({ port: promoted.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const [top] = await direct.xrevrange(`${topology.prefix}blocks`, '+', '-', 'COUNT', 1);
    direct.disconnect();
    const onNewMaster = top === undefined ? 0 : Number(top[0].split('-')[0]);
    t.diagnostic(`chaos-acknowledged-after-failover ${JSON.stringify({ acknowledged, onNewMaster })}`);
    assert.ok(
      onNewMaster >= acknowledged,
      `acknowledged up to ${acknowledged}, the new master has ${onNewMaster}`,
    );
  },
);
