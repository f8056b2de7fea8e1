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
import { waitUntil } from '@blockcast/devkit';
import { BlockSender } from '../support/block-sender.js';
import { ChaosClients } from '../support/chaos-clients.js';
import { verifyScenario } from '../support/chaos-report.js';
import { ChaosTopology, chaosSkip, signal } from '../support/chaos-topology.js';

const CLIENTS = 120;
const STOPPED_MS = 30_000;
const TUNING = { pingIntervalMs: 1000, silenceTimeoutMs: 4000 };

test(
  'gateway SIGSTOP for 30 s: clients detect it by ping timeout, resume elsewhere and complete',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const topology = await ChaosTopology.start({ gateways: 2 });
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
    const clients = await ChaosClients.connect(topology.gatewayUrls, CLIENTS, TUNING);
    const frozen = topology.gateways[0]!;
    const moved = clients.startedOn(0, 2);
    t.after(async () => {
      signal(frozen.pid, 'SIGCONT');
      await sender.stop().catch(() => undefined);
      await clients.stop();
      await topology.stop();
    });
    sender.start();
    await waitUntil(() => sender.acknowledged >= 40, 20_000, 'the first 40 blocks acknowledged');

    const faultHeight = sender.acknowledged;
    const faultAt = Date.now();
    signal(frozen.pid, 'SIGSTOP');
    const recoveryMs = await clients.recoveredAfter(faultHeight, faultAt, STOPPED_MS - 5000);
    await delay(Math.max(0, STOPPED_MS - (Date.now() - faultAt)));
    signal(frozen.pid, 'SIGCONT');
    await frozen.service.waitUntilReady(`${frozen.opsUrl}/readyz`, 15_000);
    // The thawed gateway must serve again: a new client there replays from height 0 and then follows live.
    const late = await Promise.all([
      clients.addOn(frozen.url, 'valid_blocks', TUNING),
      clients.addOn(frozen.url, 'valid_transactions', TUNING),
    ]);
    await waitUntil(() => sender.acknowledged >= faultHeight + 40, 20_000, 'blocks after SIGCONT');
    const final = await sender.stop();
    await clients.complete(sender.chain, final, 30_000);

    const outcome = await verifyScenario(t, 'gateway SIGSTOP 30 s', topology, sender, clients, recoveryMs);
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
