/**
 * A gateway killed with SIGKILL under load: its clients see the connection cut without a close
 * frame, resume on the other gateway from their last height − 1 (the rule for a cut), and every
 * client — on either gateway — ends with every block, once, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishScenario, startScenario } from '../support/chaos-scenario.js';
import { chaosSkip, killAndWait } from '../support/chaos-topology.js';

test(
  'gateway kill -9: its clients resume on the other gateway and every client completes',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    const run = await startScenario(t, { gateways: 2 });
    const killed = run.topology.gateways[0]!;
    const faultHeight = run.sender.acknowledged;
    const faultAt = Date.now();
    await killAndWait(killed.pid);
    const recoveryMs = await run.clients.recoveredAfter(faultHeight, faultAt, 30_000);
    const outcome = await finishScenario(t, 'gateway kill -9', run, recoveryMs, 60);

    assert.ok(
      run.clients
        .startedOn(0, 2)
        .every((client) => client.events.some((event) => event.gateway === killed.url)),
      'every client of the killed gateway saw its connection end',
    );
    assert.equal(outcome.resynchronised, 0, 'a gateway loss is no reset: nobody had to resynchronise');
  },
);
