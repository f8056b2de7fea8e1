/**
 * Redis killed under load and started again on the same port: with its data (AOF, fsync on
 * every write), from an older snapshot (an RDB copied aside earlier: a rollback), and empty (a
 * reset). Ingest and the gateways reconnect by themselves; a history that changed is signalled
 * to every client (4011 or a refused resume) and the client's new run completes; a history
 * that did not change is no signal at all. Never a silent gap or repeat.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '@blockcast/devkit';
import { type ChaosRun, finishScenario, startScenario } from '../support/chaos-scenario.js';
import { chaosSkip } from '../support/chaos-topology.js';

/** Redis is down this long before it is started again. */
const OUTAGE_MS = 2000;

/** Kills Redis, lets `change` alter its dir, starts it again, and measures until clients are past the fault. */
async function restartRedis(run: ChaosRun, change: () => void): Promise<number> {
  const faultHeight = run.sender.acknowledged;
  const faultAt = Date.now();
  await run.topology.killRedis();
  change();
  await delay(OUTAGE_MS);
  await run.topology.startRedis();
  return run.clients.recoveredAfter(faultHeight, faultAt, 40_000);
}

/** The scenario's end, and every client still holding an epoch holds the log's. */
async function finish(t: TestContext, scenario: string, run: ChaosRun, recoveryMs: number) {
  const outcome = await finishScenario(t, scenario, run, recoveryMs);
  const epoch = await run.topology.epoch();
  assert.ok(
    run.clients.clients.every(
      (client) => client.current.epoch === undefined || client.current.epoch === epoch,
    ),
    `every client ends in the log's epoch ${epoch}`,
  );
  return outcome;
}

test(
  'Redis restarted with its data (AOF): ingest and gateways reconnect, clients see no signal and lose nothing',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const run = await startScenario(t, { redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const epochBefore = await run.topology.epoch();
    const recoveryMs = await restartRedis(run, () => {});
    const outcome = await finish(t, 'Redis restarted with its data', run, recoveryMs);
    assert.equal(await run.topology.epoch(), epochBefore, 'the same history: the epoch is unchanged');
    assert.equal(outcome.resynchronised, 0, 'no client was told to resynchronise');
  },
);

test(
  'Redis restored from an older snapshot: a rollback, signalled to every client, whose new run completes',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const run = await startScenario(t);
    const admin = run.topology.admin();
    await admin.save();
    admin.disconnect();
    const snapshot = join(run.topology.redisDir, 'snapshot.rdb');
    copyFileSync(join(run.topology.redisDir, 'dump.rdb'), snapshot);
    const savedHeight = run.sender.acknowledged;
    await waitUntil(
      () => run.sender.acknowledged >= savedHeight + 40,
      20_000,
      '40 blocks after the snapshot',
    );
    const epochBefore = await run.topology.epoch();
    const recoveryMs = await restartRedis(run, () =>
      copyFileSync(snapshot, join(run.topology.redisDir, 'dump.rdb')),
    );
    const outcome = await finish(t, 'Redis restored from an older snapshot', run, recoveryMs);
    assert.notEqual(await run.topology.epoch(), epochBefore, 'the rollback started a new epoch');
    assert.equal(
      outcome.resynchronised,
      run.clients.clients.length,
      'every client was told its history changed',
    );
    assert.ok(run.sender.counts.rewound > 0, 'the sender re-sent the blocks the snapshot lacked');
  },
);

test(
  'Redis restarted empty: a reset, signalled to every client, whose new run completes',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const run = await startScenario(t);
    const epochBefore = await run.topology.epoch();
    const recoveryMs = await restartRedis(run, () => {
      for (const file of readdirSync(run.topology.redisDir))
        rmSync(join(run.topology.redisDir, file), { recursive: true, force: true });
    });
    const outcome = await finish(t, 'Redis restarted empty', run, recoveryMs);
    assert.notEqual(await run.topology.epoch(), epochBefore, 'the new stream has a new epoch');
    assert.equal(
      outcome.resynchronised,
      run.clients.clients.length,
      'every client was told its history changed',
    );
  },
);
