/**
 * A Redis that stops answering (SIGSTOP: its TCP connections stay open, nothing comes back — a
 * blackhole, as after a failover that left connections half-open). Ingest and the gateways must
 * say so on /readyz within a bounded time, and a POST must get its documented 503 rather than
 * wait for the outage; after SIGCONT everything recovers and clients lose nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '@blockcast/devkit';
import { BlockSender } from '../support/block-sender.js';
import { finishScenario, startScenario } from '../support/chaos-scenario.js';
import { ChaosTopology, chaosSkip, signal } from '../support/chaos-topology.js';

const CLIENTS = 100;
/** Readiness must turn 503 within this once Redis stops answering. */
const DETECTION_BOUND_MS = 10_000;
/** How long Redis stays stopped: past the tails' read deadline (their 5 s block time and a grace). */
const STOPPED_MS = 12_000;

/** Milliseconds from `since` until `url` answers 503 (a probe unanswered for 2 s counts as not yet). */
async function notReadyAfter(url: string, since: number): Promise<number> {
  await waitUntil(
    async () =>
      (await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 503,
    DETECTION_BOUND_MS,
    `${url} answering 503`,
    100,
  );
  return Date.now() - since;
}

test(
  'Redis SIGSTOP for 12 s: ingest and gateway /readyz answer 503 within 10 s; after SIGCONT clients complete',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const run = await startScenario(t, { clients: CLIENTS });
    const { topology, sender, clients } = run;
    const faultHeight = sender.acknowledged;
    const faultAt = Date.now();
    signal(topology.redis.pid, 'SIGSTOP');
    const detection = await Promise.all([
      notReadyAfter(`${topology.ingestOpsUrl}/readyz`, faultAt),
      ...topology.gateways.map((gateway) => notReadyAfter(`${gateway.opsUrl}/readyz`, faultAt)),
    ]);
    t.diagnostic(
      `chaos-detection ${JSON.stringify({ ingestMs: detection[0], gatewaysMs: detection.slice(1) })}`,
    );
    assert.ok(
      detection.every((ms) => ms <= DETECTION_BOUND_MS),
      `detected after ${detection.join(', ')} ms`,
    );

    await delay(Math.max(0, STOPPED_MS - (Date.now() - faultAt)));
    signal(topology.redis.pid, 'SIGCONT');
    // Measured from SIGCONT: how long the system takes once Redis answers again.
    const recoveryMs = await clients.recoveredAfter(faultHeight, Date.now(), 30_000);
    await Promise.all([
      topology.ingest.waitUntilReady(`${topology.ingestOpsUrl}/readyz`, 15_000),
      ...topology.gateways.map((gateway) =>
        gateway.service.waitUntilReady(`${gateway.opsUrl}/readyz`, 15_000),
      ),
    ]);
    const outcome = await finishScenario(t, 'Redis SIGSTOP 12 s', run, recoveryMs);
    assert.equal(outcome.resynchronised, 0, 'a pause is no reset: nobody had to resynchronise');
  },
);

test(
  'Redis SIGSTOP: a POST to ingest is answered 503 within 10 s, not after the outage',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const topology = await ChaosTopology.start({ gateways: 1 });
    t.after(async () => {
      signal(topology.redis.pid, 'SIGCONT');
      await topology.stop();
    });
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
    const block = sender.blockAt(1);
    signal(topology.redis.pid, 'SIGSTOP');
    const started = Date.now();
    const response = await fetch(`${topology.ingestUrl}/api/v1/blocks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${topology.token}` },
      body: JSON.stringify(block),
      signal: AbortSignal.timeout(DETECTION_BOUND_MS + 1000),
    }).catch((error: unknown) => ({ status: `no answer: ${String(error)}` }));
    const elapsed = Date.now() - started;
    t.diagnostic(`chaos-post-during-blackhole ${JSON.stringify({ status: response.status, elapsed })}`);
    assert.equal(response.status, 503, `answered ${response.status} after ${elapsed} ms`);
    assert.ok(elapsed <= DETECTION_BOUND_MS, `answered after ${elapsed} ms`);
  },
);
