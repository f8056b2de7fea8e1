/**
 * A gateway frozen with SIGSTOP for 30 s under load: the kernel keeps its sockets open, so no
 * client sees a close. Clients notice by their own ping timeout (a ping every second, dead after
 * 4 s without a pong, far shorter than the gateway's 60 s idle timeout), resume on the other
 * gateway and complete; after SIGCONT the frozen gateway serves new clients again, from history
 * and then live.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { finishScenario, startScenario } from '../support/chaos-scenario.js';
import { chaosSkip, signal } from '../support/chaos-topology.js';

const STOPPED_MS = 30_000;
const TUNING = { pingIntervalMs: 1000, silenceTimeoutMs: 4000 };

test(
  'gateway SIGSTOP for 30 s: clients detect it by ping timeout, resume elsewhere and complete',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const run = await startScenario(t, { gateways: 2, tuning: TUNING });
    const frozen = run.topology.gateways[0]!;
    const moved = run.clients.startedOn(0, 2);
    const faultHeight = run.sender.acknowledged;
    const faultAt = Date.now();
    signal(frozen.pid, 'SIGSTOP');
    const recoveryMs = await run.clients.recoveredAfter(faultHeight, faultAt, STOPPED_MS - 5000);
    await delay(Math.max(0, STOPPED_MS - (Date.now() - faultAt)));
    signal(frozen.pid, 'SIGCONT');
    await frozen.service.waitUntilReady(`${frozen.opsUrl}/readyz`, 15_000);
    // The thawed gateway must serve again: a new client there replays from height 0 and then follows live.
    const epoch = (await run.topology.epoch())!;
    const late = await Promise.all([
      run.clients.addOn(frozen.url, 'valid_blocks', epoch, TUNING),
      run.clients.addOn(frozen.url, 'valid_transactions', epoch, TUNING),
    ]);
    const outcome = await finishScenario(t, 'gateway SIGSTOP 30 s', run, recoveryMs, 40);

    assert.ok(
      moved.every((client) => client.events.some((event) => event.what === 'ping-timeout')),
      'every client of the frozen gateway gave it up by its own ping timeout',
    );
    assert.ok(
      late.every((client) => client.events.length === 0),
      'the clients that joined the thawed gateway were never cut',
    );
    assert.ok(
      recoveryMs < STOPPED_MS,
      `clients resumed (${recoveryMs} ms) while the gateway was still stopped`,
    );
    assert.equal(outcome.resynchronised, 0, 'a frozen gateway is no reset: nobody had to resynchronise');
  },
);
