/**
 * The plugin host under faults, every part its own process (redis-server, ingest, the plugin host
 * and one process per plugin), blocks posted by a steady sender through a real ingest: the host
 * killed and kept down while retention trims past it, Redis emptied under it (FLUSHALL), and Redis
 * restarted empty. Every plugin's record is checked against the chain: each block delivered at
 * least once and in order, or inside the gap or reset the plugin was told — never a silent skip.
 * `told` exports onGap/onReset (signal-recorder.mjs); `plain` exports neither and is checked by the
 * host's metrics and log lines.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  freePort,
  type SentinelTopology,
  type ServiceProcess,
  startSentinelTopology,
  startService,
  waitUntil,
} from '@blockcast/devkit';
import type { Position } from '@blockcast/protocol';
import { BlockSender } from '../support/block-sender.js';
import { alive, ChaosTopology, chaosSkip, signal } from '../support/chaos-topology.js';
import { type RecordedEvent, recordedEvents, recordedSignals } from '../support/plugin-records.js';
import { Scrape } from '../support/prometheus-text.js';

const FIXTURES = './test/plugins/fixtures';
const NAMES = ['told', 'plain'] as const;
const PLUGINS = `told=${FIXTURES}/signal-recorder.mjs,plain=${FIXTURES}/recorder.mjs`;

interface Run {
  topology: ChaosTopology;
  sender: BlockSender;
  recordDir: string;
  /** Starts a plugin host process on the topology's bus; stopped with the test. */
  startHost(): Promise<{ service: ServiceProcess; opsUrl: string }>;
}

async function startRun(
  t: TestContext,
  ingestEnv: Record<string, string>,
  rate: number,
  sentinels?: SentinelTopology,
): Promise<Run> {
  const topology = await ChaosTopology.start({ gateways: 0, ingestEnv, sentinels });
  const redisEnv: Record<string, string> =
    sentinels === undefined
      ? { REDIS_URL: topology.redis.url }
      : {
          REDIS_SENTINELS: sentinels.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
          REDIS_SENTINEL_MASTER: sentinels.masterName,
        };
  const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token, rate });
  const recordDir = mkdtempSync(join(tmpdir(), 'blockcast-chaos-plugins-'));
  const hosts: ServiceProcess[] = [];
  t.after(async () => {
    await sender.stop().catch(() => undefined);
    await Promise.all(hosts.map((host) => host.stop(3000)));
    await topology.stop();
    rmSync(recordDir, { recursive: true, force: true });
  });
  const startHost = async () => {
    const opsPort = await freePort();
    const service = startService('plugins', {
      env: {
        ...redisEnv,
        BLOCKCAST_STREAM_PREFIX: topology.prefix,
        PLUGINS,
        PLUGINS_START: 'first',
        PLUGINS_HOST: '127.0.0.1',
        PLUGINS_OPS_PORT: String(opsPort),
        PLUGINS_RESTART_MIN_MS: '100',
        PLUGIN_RECORD_DIR: recordDir,
        LOG_LEVEL: 'info',
      },
    });
    hosts.push(service);
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    await service.waitUntilReady(`${opsUrl}/readyz`, 30_000);
    return { service, opsUrl };
  };
  return { topology, sender, recordDir, startHost };
}

const heightsOf = (events: RecordedEvent[]) => events.map((event) => event.height);

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** The blocks a gap covers: every height whose block position is in [from, resumedAt). */
function blocksIn(from: Position, resumedAt: Position): number[] {
  return range(
    from.seq === 0 ? from.height : from.height + 1,
    resumedAt.height - (resumedAt.seq === 0 ? 1 : 0),
  );
}

/** Until each plugin's last recorded block is `final`. */
async function deliveredTo(run: Run, final: number): Promise<void> {
  for (const name of NAMES) {
    await waitUntil(
      () => recordedEvents(run.recordDir, name).at(-1)?.height === final,
      30_000,
      `${name}: block ${final}`,
      50,
    );
  }
}

/** Every history-gap log line of plugin `name` in the host's output: the entries it says were lost. */
function loggedGaps(output: string, name: string): number[] {
  return output
    .split('\n')
    .filter((line) => line.includes(`"name":"plugin:${name}"`) && line.includes('history gap:'))
    .map((line) => (JSON.parse(line) as { lost: number }).lost);
}

test(
  'a plugin host killed and kept down past the retention: every retained block delivered once in order, the gap told exactly, logged and counted',
  { ...chaosSkip(), timeout: 150_000 },
  async (t) => {
    const run = await startRun(t, { RETAIN_BLOCKS: '50' }, 100);
    const first = await run.startHost();
    run.sender.start();
    for (const name of NAMES) {
      await waitUntil(
        () => recordedEvents(run.recordDir, name).length >= 20,
        20_000,
        `${name}: 20 blocks`,
        20,
      );
    }
    // The host and its plugin processes at once: each plugin dies holding a block it never acknowledged.
    first.service.child.kill('SIGKILL');
    const runners = [
      ...new Set(NAMES.flatMap((name) => recordedEvents(run.recordDir, name).map((e) => e.pid))),
    ];
    for (const pid of runners) signal(pid, 'SIGKILL');
    await first.service.exited;
    await waitUntil(() => runners.every((pid) => !alive(pid)), 5000, 'plugin processes gone', 20);
    const firstRun = Object.fromEntries(NAMES.map((name) => [name, recordedEvents(run.recordDir, name)]));
    const killedAt = run.sender.acknowledged;
    await waitUntil(
      () => run.sender.acknowledged >= killedAt + 400,
      30_000,
      '400 blocks while the host is down',
    );

    // Stopped first, so the edge stays where it is while the restarted host catches up.
    const final = await run.sender.stop();
    const second = await run.startHost();
    await deliveredTo(run, final);
    const scrape = await Scrape.of(`${second.opsUrl}/metrics`);
    const figures: Record<string, unknown> = { final };
    for (const name of NAMES) {
      const before = heightsOf(firstRun[name]!);
      const after = heightsOf(recordedEvents(run.recordDir, name).slice(before.length));
      assert.deepEqual(before, range(1, before.length), `${name}: in order before the kill`);
      assert.deepEqual(
        after,
        range(after[0]!, final),
        `${name}: in order after the restart, each block once`,
      );
      const missing = range(1, final).filter((height) => !before.includes(height) && !after.includes(height));
      assert.ok(missing.length > 300, `${name}: retention trimmed past the stopped host (${missing.length})`);
      const skipped = scrape.sum('blockcast_plugins_entries_skipped_total', { plugin: name });
      assert.equal(
        scrape.sum('blockcast_plugins_history_gaps_total', { plugin: name }),
        1,
        `${name}: one gap`,
      );
      assert.deepEqual(loggedGaps(second.service.output(), name), [skipped], `${name}: one log line`);
      figures[name] = { before: before.length, resumedAt: after[0], missing: missing.length, skipped };
      if (name === 'plain') {
        // No hook: the count is the signal, and it is exact (the block in hand at the kill included).
        assert.ok(
          skipped === missing.length || skipped === missing.length + 1,
          `${name}: ${skipped} counted`,
        );
        continue;
      }
      const signals = recordedSignals(run.recordDir, name);
      assert.equal(signals.length, 1, `${name}: told once`);
      const gap = signals[0]! as unknown as {
        kind: string;
        delivered: number;
        from: Position;
        resumedAt: Position;
        oldest: Position;
        lost: number;
      };
      assert.equal(gap.kind, 'gap');
      assert.equal(gap.delivered, before.length, `${name}: told before the first block after the gap`);
      assert.deepEqual(gap.resumedAt, { height: after[0], seq: 0 }, `${name}: resumed where it says`);
      assert.deepEqual(gap.oldest, gap.resumedAt);
      const inGap = blocksIn(gap.from, gap.resumedAt);
      // Exact: what was never delivered is the gap, and the gap holds nothing delivered but the block in hand.
      assert.deepEqual(
        inGap.filter((height) => !before.includes(height)),
        missing,
        `${name}: the gap is what is missing`,
      );
      assert.ok(
        inGap.filter((height) => before.includes(height)).length <= 1,
        `${name}: at most the block in hand`,
      );
      assert.equal(gap.lost, inGap.length, `${name}: lost counts the gap's blocks`);
      assert.equal(skipped, gap.lost, `${name}: counted as told`);
    }
    process.stdout.write(
      `chaos-figures ${JSON.stringify({ scenario: 'plugin host down past retention', ...figures })}\n`,
    );
  },
);

/** Polls /readyz until stopped: every answer, in order. */
function watchReadiness(opsUrl: string): {
  answers: { status: number; reason?: string }[];
  stop(): Promise<void>;
} {
  const answers: { status: number; reason?: string }[] = [];
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { reason?: string };
        answers.push({ status: response.status, reason: body.reason });
      } catch (error) {
        answers.push({ status: 0, reason: String(error) });
      }
      await delay(100);
    }
  })();
  return {
    answers,
    stop: async () => {
      stopped = true;
      await polling;
    },
  };
}

/** After a reset: the chain re-posted from 1, both plugins told (or counting it) and given the new history from its start. */
async function checkReset(run: Run, opsUrl: string, output: () => string, epochBefore: string | null) {
  await waitUntil(
    () => run.sender.counts.rewound > 0 && run.sender.acknowledged >= 60,
    30_000,
    'the chain re-posted from 1',
  );
  const final = await run.sender.stop();
  const epochAfter = await run.topology.epoch();
  assert.notEqual(epochAfter, epochBefore, 'a new epoch');
  await waitUntil(
    () => recordedSignals(run.recordDir, 'told').length === 1,
    30_000,
    'told: the reset signalled',
    50,
  );
  const [reset] = recordedSignals(run.recordDir, 'told');
  for (const name of NAMES) {
    await waitUntil(
      () => {
        const events = recordedEvents(run.recordDir, name);
        return events.at(-1)?.height === final && events.length > final;
      },
      30_000,
      `${name}: the new history to ${final}`,
      50,
    );
  }
  const told = heightsOf(recordedEvents(run.recordDir, 'told'));
  assert.deepEqual(
    reset,
    {
      kind: 'reset',
      pid: reset!.pid,
      delivered: reset!.delivered,
      cause: 'reset',
      previousEpoch: epochBefore,
      epoch: epochAfter,
    },
    'told: the reset names both epochs',
  );
  assert.deepEqual(
    told.slice(0, reset!.delivered),
    range(1, reset!.delivered),
    'told: the old history in order',
  );
  assert.deepEqual(
    told.slice(reset!.delivered),
    range(1, final),
    'told: the new history from its start, once',
  );
  const plain = heightsOf(recordedEvents(run.recordDir, 'plain'));
  const restartAt = plain.findIndex((height, i) => i > 0 && height <= plain[i - 1]!);
  assert.deepEqual(plain.slice(0, restartAt), range(1, restartAt), 'plain: the old history in order');
  assert.deepEqual(plain.slice(restartAt), range(1, final), 'plain: the new history from its start, once');
  const scrape = await Scrape.of(`${opsUrl}/metrics`);
  for (const name of NAMES) {
    assert.equal(
      scrape.sum('blockcast_plugins_resets_total', { plugin: name }),
      1,
      `${name}: one reset counted`,
    );
    assert.equal(scrape.sum('blockcast_plugins_history_gaps_total', { plugin: name }), 0, `${name}: no gap`);
    assert.equal(
      output()
        .split('\n')
        .filter((line) => line.includes(`"name":"plugin:${name}"`) && line.includes('history reset:')).length,
      1,
      `${name}: one reset log line`,
    );
  }
  const ready = await fetch(`${opsUrl}/readyz`);
  assert.equal(ready.status, 200, 'ready again');
  return { final, told: reset!.delivered, plain: restartAt };
}

/** A run with a plugin host whose plugins took 40 blocks, and the epoch they belong to. */
async function startWarmRun(t: TestContext, sentinels?: SentinelTopology) {
  const run = await startRun(t, {}, 50, sentinels);
  const host = await run.startHost();
  run.sender.start();
  for (const name of NAMES) {
    await waitUntil(() => recordedEvents(run.recordDir, name).length >= 40, 20_000, `${name}: 40 blocks`, 20);
  }
  return { run, host, epochBefore: await run.topology.epoch() };
}

test(
  'Redis emptied (FLUSHALL) under a running plugin host and the chain re-posted: the reset told, the new history delivered from its start',
  { ...chaosSkip(), timeout: 120_000 },
  async (t) => {
    const { run, host, epochBefore } = await startWarmRun(t);
    const admin = run.topology.admin();
    await admin.flushall();
    admin.disconnect();
    const figures = await checkReset(run, host.opsUrl, () => host.service.output(), epochBefore);
    process.stdout.write(
      `chaos-figures ${JSON.stringify({ scenario: 'plugins across FLUSHALL', ...figures })}\n`,
    );
  },
);

test(
  'Redis restarted empty under a running plugin host: not ready while it cannot read, then the reset told and the new history delivered from its start',
  { ...chaosSkip(), timeout: 120_000 },
  async (t) => {
    const { run, host, epochBefore } = await startWarmRun(t);
    const readiness = watchReadiness(host.opsUrl);
    t.after(() => readiness.stop());
    await run.topology.killRedis();
    for (const file of readdirSync(run.topology.redisDir)) {
      rmSync(join(run.topology.redisDir, file), { recursive: true, force: true });
    }
    await waitUntil(
      () => readiness.answers.some((answer) => answer.status === 503),
      15_000,
      '/readyz fails while Redis is away',
      50,
    );
    await run.topology.startRedis();
    const figures = await checkReset(run, host.opsUrl, () => host.service.output(), epochBefore);
    await readiness.stop();
    const failed = readiness.answers.filter((answer) => answer.status === 503);
    for (const name of NAMES) {
      assert.ok(
        failed.some((answer) => answer.reason?.includes(`${name}: not reading (`)),
        `${name} named as not reading: ${JSON.stringify(failed.at(0))}`,
      );
    }
    assert.equal(readiness.answers.at(-1)?.status, 200, 'ready again at the end');
    process.stdout.write(
      `chaos-figures ${JSON.stringify({ scenario: 'plugins across an empty Redis restart', notReadyAnswers: failed.length, ...figures })}\n`,
    );
  },
);

/** Each step of a plugin's record is the next height or a step back (a redelivery): never a skip. */
function assertAtLeastOnceInOrder(heights: number[], from: number, to: number, what: string): void {
  assert.equal(heights[0], from, `${what}: starts at ${from}`);
  heights.forEach((height, i) => {
    if (i > 0) assert.ok(height <= heights[i - 1]! + 1, `${what}: ${heights[i - 1]} then ${height}`);
  });
  assert.equal(heights.at(-1), to, `${what}: ends at ${to}`);
}

/**
 * After a fault that may roll the bus back: `told`'s record split at its signals (rollbacks only),
 * each part every block at least once in order and the new one picking up at or before where the
 * old one was; `plain`'s record at least once in order from 1 to `final`; no gap; ready.
 */
async function checkHistories(run: Run, opsUrl: string, final: number) {
  const scrape = await Scrape.of(`${opsUrl}/metrics`);
  const signals = recordedSignals(run.recordDir, 'told');
  const resets = scrape.sum('blockcast_plugins_resets_total', { plugin: 'told' });
  assert.equal(resets, signals.length, 'each reset counted is told');
  assert.ok(
    signals.every((each) => each.kind === 'reset' && each.cause === 'rollback'),
    'only rollbacks',
  );
  const told = heightsOf(recordedEvents(run.recordDir, 'told'));
  const cuts = [0, ...signals.map((each) => each.delivered), told.length];
  let previous = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const part = told.slice(cuts[i], cuts[i + 1]);
    if (part.length === 0) continue;
    // Nothing of the new history skipped: it resumes at or before the block after the last one taken.
    assert.ok(part[0]! <= previous + 1, `told, history ${i + 1}: resumes at ${part[0]} after ${previous}`);
    const last = i + 2 === cuts.length ? final : part.at(-1)!;
    assertAtLeastOnceInOrder(part, part[0]!, last, `told, history ${i + 1}`);
    previous = last;
  }
  const plain = heightsOf(recordedEvents(run.recordDir, 'plain'));
  assertAtLeastOnceInOrder(plain, 1, final, 'plain');
  assert.equal(scrape.sum('blockcast_plugins_history_gaps_total'), 0, 'no gap');
  assert.equal(
    scrape.sum('blockcast_plugins_resets_total', { plugin: 'plain' }),
    resets,
    'plain counts the same resets',
  );
  assert.equal((await fetch(`${opsUrl}/readyz`)).status, 200, 'ready at the end');
  return { final, rollbacksTold: signals.length, told: told.length, plain: plain.length };
}

test(
  'Redis restored from an older snapshot under a running plugin host: the rollback told with a new epoch, every block reaches each plugin at least once in order',
  { ...chaosSkip(), timeout: 150_000 },
  async (t) => {
    const { run, host } = await startWarmRun(t);
    const admin = run.topology.admin();
    await admin.save();
    admin.disconnect();
    const snapshot = join(run.topology.redisDir, 'snapshot.rdb');
    copyFileSync(join(run.topology.redisDir, 'dump.rdb'), snapshot);
    const savedAt = run.sender.acknowledged;
    for (const name of NAMES) {
      await waitUntil(
        () => (recordedEvents(run.recordDir, name).at(-1)?.height ?? 0) >= savedAt + 40,
        20_000,
        `${name}: 40 blocks past the snapshot`,
        20,
      );
    }
    const epochBefore = await run.topology.epoch();
    // Ingest held still until the plugin host has seen the restored bus: otherwise the sender may
    // re-append the same blocks first, and the history reads as it was (nothing to tell).
    signal(run.topology.ingest.child.pid, 'SIGSTOP');
    await run.topology.killRedis();
    copyFileSync(snapshot, join(run.topology.redisDir, 'dump.rdb'));
    await run.topology.startRedis();
    await waitUntil(
      () => recordedSignals(run.recordDir, 'told').length === 1,
      20_000,
      'told: the rollback',
      50,
    );
    signal(run.topology.ingest.child.pid, 'SIGCONT');
    const [rollback] = recordedSignals(run.recordDir, 'told');
    assert.equal(rollback!.cause, 'rollback');
    assert.equal(rollback!.previousEpoch, epochBefore);
    assert.equal(rollback!.epoch, await run.topology.epoch(), 'the new epoch, the one the bus has now');
    assert.notEqual(rollback!.epoch, epochBefore);
    await waitUntil(
      () => run.sender.counts.rewound > 0 && run.sender.acknowledged >= savedAt + 80,
      30_000,
      'the sender re-sent what the snapshot lacked, and on',
    );
    const final = await run.sender.stop();
    await deliveredTo(run, final);
    const figures = await checkHistories(run, host.opsUrl, final);
    process.stdout.write(
      `chaos-figures ${JSON.stringify({ scenario: 'plugins across an older snapshot', savedAt, ...figures })}\n`,
    );
  },
);

test(
  'Sentinel failover under a running plugin host: it follows the new master and every block reaches each plugin at least once in order, any rollback told',
  { ...chaosSkip(), timeout: 150_000 },
  async (t) => {
    const sentinels = await startSentinelTopology();
    const { run, host } = await startWarmRun(t, sentinels);
    const before = await sentinels.master();
    const after = await sentinels.failover();
    assert.notEqual(after.port, before.port, 'another node is master');
    // The old master takes writes until its demotion, and they are discarded then: run on past it.
    const promotedAt = run.sender.acknowledged;
    await waitUntil(
      () => run.sender.acknowledged >= promotedAt + 300,
      60_000,
      '300 blocks after the promotion',
    );
    const final = await run.sender.stop();
    await deliveredTo(run, final);
    const figures = await checkHistories(run, host.opsUrl, final);
    process.stdout.write(
      `chaos-figures ${JSON.stringify({ scenario: 'plugins across a Sentinel failover', ...figures })}\n`,
    );
  },
);
