/**
 * A cut without a close frame across a stream replacement: gateway 1 frozen (its clients hear no
 * close), the stream deleted and another chain started again at height 1, gateway 2 telling its
 * clients (4011), then gateway 1 killed with SIGKILL. Its clients, following the documented rule
 * (the epoch read before connecting, sent with every `since`), resume on gateway 2 from their
 * last height − 1 and are refused with 409 EPOCH_MISMATCH: no client is ever served the other
 * chain under the old epoch, and every client ends with the whole new chain from where it was told.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { BlockSender } from '../support/block-sender.js';
import { startScenario } from '../support/chaos-scenario.js';
import { chaosSkip, killAndWait, signal } from '../support/chaos-topology.js';
import { refusedUpgrade } from '../support/ws-client.js';

test(
  'gateway kill -9 while the stream is replaced: cut clients resume with their epoch and get 409, never the other chain',
  { ...chaosSkip(), timeout: 120_000 },
  async (t) => {
    // Clients of the frozen gateway must wait for its death, not give it up on their own.
    const run = await startScenario(t, { gateways: 2, tuning: { silenceTimeoutMs: 120_000 } });
    const { topology, clients } = run;
    const oldEpoch = (await topology.epoch())!;
    const killed = topology.gateways[0]!;
    const cut = clients.startedOn(0, 2);

    signal(killed.pid, 'SIGSTOP');
    const oldHeight = await run.sender.stop();
    const oldChain: ReadonlyMap<number, CommittedBlock> = run.sender.chain;
    const admin = topology.admin();
    await admin.del(`${topology.prefix}blocks`);
    admin.disconnect();
    // Another chain, other transactions at the same heights: a silent switch would show as changed frames.
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
    t.after(() => sender.stop().catch(() => undefined));
    sender.start();
    await waitUntil(() => sender.acknowledged >= 10, 30_000, 'the new chain under way');
    const newEpoch = (await topology.epoch())!;
    assert.notEqual(newEpoch, oldEpoch, 'the recreated stream has a new epoch');
    const told = () => clients.clients.filter((client) => client.current.epoch === newEpoch).length;
    await waitUntil(
      () => clients.startedOn(1, 2).every((client) => client.current.epoch === newEpoch),
      30_000,
      'the live gateway told its clients',
      50,
    );
    await killAndWait(killed.pid);
    // The rule before the epoch contract resumed a cut without an epoch: now refused, never answered from chain B.
    const bare = await refusedUpgrade(
      `${topology.gateways[1]!.url}/api/v1/streams/valid_blocks?since=${oldHeight - 1}`,
    );
    assert.deepEqual([bare.status, bare.body.code], [400, 'EPOCH_REQUIRED']);
    await waitUntil(
      () => told() === clients.clients.length,
      40_000,
      `every client told of the new history (${told()} of ${clients.clients.length})`,
      50,
    );
    // Then more of the new chain, which every client must get whole.
    const target = sender.acknowledged + 30;
    await waitUntil(() => sender.acknowledged >= target, 30_000, '30 more blocks of the new chain');
    const last = await sender.stop();
    const chainOf = (epoch: string | undefined) => (epoch === oldEpoch ? oldChain : sender.chain);
    await clients.complete(sender.chain, last, 40_000);

    const check = clients.verify(chainOf, { first: 1, last });
    const signals = clients.signals();
    t.diagnostic(
      `chaos-figures ${JSON.stringify({ scenario: 'gateway kill -9 across a stream replacement', clients: clients.clients.length, oldHeight, newHeight: last, signals, ...check, problems: check.problems.length })}`,
    );
    assert.deepEqual(
      { lost: check.lost, duplicated: check.duplicated, reordered: check.reordered, changed: check.changed },
      { lost: 0, duplicated: 0, reordered: 0, changed: 0 },
      check.problems.join('\n'),
    );
    assert.equal(check.problems.length, 0, check.problems.join('\n'));
    for (const client of clients.clients) {
      assert.deepEqual(
        client.segments.map((segment) => segment.epoch),
        [oldEpoch, newEpoch],
        'one run in each history, the second started by a signal',
      );
    }
    assert.deepEqual(
      cut.map((client) => client.current.startedBy),
      cut.map(() => 'EPOCH_MISMATCH'),
      'every client cut without a close frame resumed with its epoch and was refused with 409',
    );
    assert.ok(
      cut.every((client) =>
        client.events.some((event) => event.gateway === killed.url && event.what === '1006'),
      ),
      'every client of the killed gateway was cut without a close frame',
    );
  },
);
