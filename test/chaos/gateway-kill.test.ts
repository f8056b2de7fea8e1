/**
 * A gateway killed with SIGKILL under load: its clients see the connection cut without a close
 * frame, resume on the other gateway from their last height − 1 (the rule for a cut), and every
 * client — on either gateway — ends with every block, once, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import { BlockSender } from '../support/block-sender.js';
import { ChaosClients } from '../support/chaos-clients.js';
import { verifyScenario } from '../support/chaos-report.js';
import { ChaosTopology, chaosSkip, killAndWait } from '../support/chaos-topology.js';

const CLIENTS = 120;

test(
  'gateway kill -9: its clients resume on the other gateway and every client completes',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const topology = await ChaosTopology.start({ gateways: 2 });
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
    const clients = await ChaosClients.connect(topology.gatewayUrls, CLIENTS);
    t.after(async () => {
      await sender.stop().catch(() => undefined);
      await clients.stop();
      await topology.stop();
    });
    sender.start();
    await waitUntil(() => sender.acknowledged >= 40, 20_000, 'the first 40 blocks acknowledged');

    const faultHeight = sender.acknowledged;
    const faultAt = Date.now();
    await killAndWait(topology.gateways[0]!.pid);
    const recoveryMs = await clients.recoveredAfter(faultHeight, faultAt, 30_000);
    await waitUntil(() => sender.acknowledged >= faultHeight + 60, 20_000, '60 blocks after the kill');
    const final = await sender.stop();
    await clients.complete(sender.chain, final, 30_000);

    const outcome = await verifyScenario(t, 'gateway kill -9', topology, sender, clients, recoveryMs);
    const moved = clients.startedOn(0, 2);
    assert.ok(
      moved.every((client) => client.events.some((event) => event.gateway === topology.gateways[0]!.url)),
      'every client of the killed gateway saw its connection end',
    );
    assert.equal(outcome.resynchronised, 0, 'a gateway loss is no reset: nobody had to resynchronise');
  },
);
