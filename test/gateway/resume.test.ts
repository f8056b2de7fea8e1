/**
 * Resume with `since` (and `epoch`): every event after since, from the gateway's ring, then the
 * event log, then live — no gap and no duplicate at either seam — or an explicit refusal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { type EventLog, MemoryLog } from '@blockcast/event-log';
import { CloseCode, type CommittedBlock, positionIn } from '@blockcast/protocol';
import { expectFrames, settledFrames } from '../support/barrier.js';
import { after, expectedValidBlocks, expectedValidTransactions } from '../support/expected-frames.js';
import { forEachLog, type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { laggingLog, slowHistoryReads } from '../support/log-wrappers.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

async function commitChain(
  gateway: GatewayHarness,
  ledger: DemoLedger,
  count: number,
): Promise<CommittedBlock[]> {
  const blocks = Array.from({ length: count }, (_, i) => ledger.nextBlock(i % 4));
  await gateway.commit(...blocks);
  const last = blocks.at(-1)!.height;
  await waitUntil(() => gateway.app.height === last, 10_000, `height ${last} published`);
  return blocks;
}

forEachLog('resume with since', (log) => {
  test('since inside the ring: the blocks after it, then live, each once', async (t) => {
    const gateway = await startGateway(t, { log, config: { ringBlocks: 100 } });
    const ledger = new DemoLedger();
    const early = await commitChain(gateway, ledger, 20);
    const client = await RecordingClient.connect(gateway.resume('valid_blocks?since=12'));
    const late = await commitChain(gateway, ledger, 5);
    await expectFrames(client, expectedValidBlocks(after([...early, ...late], 12)));
    await client.close();
  });

  test('since older than the ring: read from the event log, then the ring, then live', async (t) => {
    const gateway = await startGateway(t, { log, config: { ringBlocks: 5, historyBatchEntries: 7 } });
    const ledger = new DemoLedger();
    const early = await commitChain(gateway, ledger, 40);
    const blocks = await RecordingClient.connect(gateway.resume('valid_blocks?since=3'));
    const transactions = await RecordingClient.connect(gateway.resume('valid_transactions?since=0'));
    const late = await commitChain(gateway, ledger, 6);
    const all = [...early, ...late];
    await expectFrames(blocks, expectedValidBlocks(after(all, 3)));
    await expectFrames(transactions, expectedValidTransactions(all, 'bigchaindb'));
    const metrics = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
    assert.match(metrics, /blockcast_gateway_catch_up_entries_sent_total\{source="log"[^}]*\} [1-9]/);
    assert.match(metrics, /blockcast_gateway_catch_up_exits_total\{[^}]*\} 2/);
    // The deprecated names still carry the same counts for one release (docs/operations.md).
    const count = (name: string) =>
      metrics.match(new RegExp(`^blockcast_gateway_${name}(?:\\{[^}]*\\})? (\\d+)`, 'm'))?.[1];
    assert.equal(count('catch_up_blocks_total'), count('catch_up_entries_sent_total'));
    assert.equal(count('catch_up_entries_total'), count('catch_up_sockets_entered_total'));
    assert.equal(count('catch_up_sockets_entered_total'), '2');
    await Promise.all([blocks.close(), transactions.close()]);
  });

  test('since older than the retained history is refused with 410 and the oldest height', async (t) => {
    const gateway = await startGateway(t, { log, retainBlocks: 10 });
    await commitChain(gateway, new DemoLedger(), 30);
    const refused = await refusedUpgrade(gateway.resume('valid_blocks?since=5'));
    assert.equal(refused.status, 410);
    assert.equal(refused.body.code, 'HISTORY_GONE');
    assert.equal(refused.body.oldest, 21);
    assert.equal(refused.body.epoch, gateway.app.epoch);
    const justInside = await RecordingClient.connect(gateway.resume('valid_blocks?since=20'));
    assert.deepEqual((await settledFrames(justInside, 10)).map((frame) => JSON.parse(frame).height)[0], 21);
    await justInside.close();
  });

  test('since beyond the head of the log is refused with 400 and the head', async (t) => {
    const gateway = await startGateway(t, { log });
    await commitChain(gateway, new DemoLedger(), 4);
    const refused = await refusedUpgrade(gateway.resume('valid_transactions?since=9'));
    assert.deepEqual([refused.status, refused.body.code, refused.body.head], [400, 'SINCE_AHEAD', 4]);
  });

  test('a wrong epoch is refused with 409 and the current one; the right one resumes', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger();
    const early = await commitChain(gateway, ledger, 6);
    const epoch = gateway.app.epoch;
    assert.equal(typeof epoch, 'string');
    const refused = await refusedUpgrade(gateway.stream('valid_blocks?since=2&epoch=0000000000000000'));
    assert.deepEqual([refused.status, refused.body.code, refused.body.epoch], [409, 'EPOCH_MISMATCH', epoch]);
    const client = await RecordingClient.connect(gateway.stream(`valid_blocks?since=2&epoch=${epoch}`));
    await expectFrames(client, expectedValidBlocks(after(early, 2)));
    await client.close();
  });

  test('the seam: clients resuming at random heights under a steady block rate each get exactly the log after since', async (t) => {
    const gateway = await startGateway(t, { log, config: { ringBlocks: 15, historyBatchEntries: 10 } });
    const ledger = new DemoLedger();
    const committed: CommittedBlock[] = [];
    let producing = true;
    const producer = (async () => {
      while (producing && committed.length < 400) {
        const block = ledger.nextBlock(committed.length % 3);
        await gateway.commit(block);
        committed.push(block);
        await delay(3);
      }
    })();
    const clients: {
      since: number;
      client: RecordingClient;
      stream: 'valid_blocks' | 'valid_transactions';
    }[] = [];
    await waitUntil(() => committed.length >= 40, 10_000, '40 blocks');
    for (let i = 0; i < 30; i += 1) {
      const head = committed.length;
      // Some inside the ring, some older (the log), some at the head.
      const since = [head, Math.max(0, head - 5), Math.max(0, head - 60), Math.floor(Math.random() * head)][
        i % 4
      ]!;
      const stream = i % 2 === 0 ? 'valid_blocks' : 'valid_transactions';
      clients.push({
        since,
        stream,
        client: await RecordingClient.connect(gateway.resume(`${stream}?since=${since}`)),
      });
      await delay(15);
    }
    producing = false;
    await producer;
    const last = committed.at(-1)!.height;
    await waitUntil(() => gateway.app.height === last, 10_000, 'all published');
    for (const { since, stream, client } of clients) {
      const want =
        stream === 'valid_blocks'
          ? expectedValidBlocks(after(committed, since))
          : expectedValidTransactions(after(committed, since), 'bigchaindb');
      await expectFrames(client, want, `${stream} since=${since}`);
      await client.close();
    }
  });

  test('a catching-up client whose next block leaves the retained history is closed with 4010 and the oldest height', async (t) => {
    // Reads of older history take a while here, and the chain moves on meanwhile.
    const slowReads = (inner: EventLog) => slowHistoryReads(inner, 300);
    const gateway = await startGateway(t, {
      log,
      retainBlocks: 10,
      wrapLog: slowReads,
      config: { ringBlocks: 2 },
    });
    const ledger = new DemoLedger();
    await commitChain(gateway, ledger, 30);
    const client = await RecordingClient.connect(gateway.resume('valid_blocks?since=20'));
    await commitChain(gateway, ledger, 20);
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.HISTORY_GONE);
    assert.match(closed.reason, /oldest=41/);
    assert.deepEqual(positionIn(closed.reason), { since: 20, epoch: gateway.app.epoch });
    assert.deepEqual(client.frames, [], 'nothing after the position was sent');
  });
});

test('a client resuming from a height this gateway has not published yet is not refused: it waits, then gets what follows', async (t) => {
  const inner = new MemoryLog();
  t.after(() => inner.close());
  const gateway = await startGateway(t, { eventLog: laggingLog(inner, 300) });
  const ledger = new DemoLedger();
  const blocks = Array.from({ length: 6 }, () => ledger.nextBlock(1));
  await gateway.commit(...blocks.slice(0, 3));
  await waitUntil(() => gateway.app.height === 3, 5000, 'published');
  await gateway.commit(blocks[3]!);
  // Block 4 is on the log (another gateway may have sent it) but not published here yet.
  assert.equal(gateway.app.height, 3);
  const client = await RecordingClient.connect(gateway.resume('valid_blocks?since=4'));
  await gateway.commit(...blocks.slice(4));
  await waitUntil(() => gateway.app.height === 6, 5000, 'published');
  await expectFrames(client, expectedValidBlocks(blocks.slice(4)));
  await client.close();
});
