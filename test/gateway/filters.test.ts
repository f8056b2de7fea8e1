/**
 * Filters select exactly the transactions the raw JSON says match — checked against an
 * independent reading of the transactions (test/support/expected-frames.ts), across history
 * (resume with since) and live blocks, on every filtered stream, on both event logs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { makeTransaction, waitUntil } from '@blockcast/devkit';
import type { CommittedBlock, Transaction } from '@blockcast/protocol';
import { expectFrames, settledFrames } from '../support/barrier.js';
import {
  expectedEvents,
  expectedFilteredInvalid,
  expectedFilteredTransactions,
  type RawFilter,
} from '../support/expected-frames.js';
import { forEachLog, type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

/** Blocks of 1–6 demo transactions among a few keys, every third with transactions the network rejected. */
function chain(ledger: DemoLedger, count: number): CommittedBlock[] {
  return Array.from({ length: count }, (_, i) => {
    const block = ledger.nextBlock(1 + (i % 6));
    if (i % 3 === 0) {
      // Rejected transfers to keys of the chain (or to a stranger), so key filters select some.
      const to = i % 2 === 0 ? keysOf(block.transactions[0]!) : undefined;
      block.rejected = [
        { transaction: makeTransaction({ operation: 'TRANSFER', to }), code: 3, log: 'double spend' },
      ];
    }
    return block;
  });
}

function keysOf(tx: Transaction): string[] {
  return (tx.outputs ?? []).flatMap((output) => output?.public_keys ?? []);
}

function query(filter: RawFilter): string {
  const params = new URLSearchParams();
  for (const key of filter.publicKeys ?? []) params.append('public_key', key);
  for (const id of filter.assetIds ?? []) params.append('asset_id', id);
  for (const op of filter.operations ?? []) params.append('operation', op);
  return params.toString();
}

forEachLog('filters', (log) => {
  test('public_key, asset_id, operation and their combinations select exactly the matching transactions, resumed and live', async (t) => {
    const gateway: GatewayHarness = await startGateway(t, { log, config: { ringBlocks: 8 } });
    const ledger = new DemoLedger();
    const early = chain(ledger, 30);
    await gateway.commit(...early);
    await waitUntil(() => gateway.app.height === 30, 5000, 'committed');

    const allTxs = early.flatMap((block) => block.transactions);
    const keys = [...new Set(allTxs.flatMap(keysOf))];
    const someAsset = allTxs.find((tx) => tx.operation === 'TRANSFER')!.asset as { id: string };
    const filters: Record<string, RawFilter> = {
      oneKey: { publicKeys: [keys[0]!] },
      twoKeys: { publicKeys: [keys[1]!, keys[2]!] },
      asset: { assetIds: [someAsset.id] },
      creates: { operations: ['CREATE'] },
      keyAndTransfer: { publicKeys: [keys[0]!, keys[3]!], operations: ['TRANSFER'] },
      keyAndAsset: { publicKeys: [keys[1]!], assetIds: [someAsset.id] },
    };
    const since = 10;
    const clients: {
      name: string;
      client: RecordingClient;
      expect: (blocks: CommittedBlock[]) => string[];
    }[] = [];
    for (const [name, filter] of Object.entries(filters)) {
      const q = `since=${since}&${query(filter)}`;
      clients.push(
        {
          name: `${name} valid_transactions`,
          client: await RecordingClient.connect(gateway.resume(`valid_transactions?${q}`)),
          expect: (blocks) => expectedFilteredTransactions(blocks, 'bigchaindb', filter),
        },
        {
          name: `${name} planetmint`,
          client: await RecordingClient.connect(gateway.resume(`valid_transactions?profile=planetmint&${q}`)),
          expect: (blocks) => expectedFilteredTransactions(blocks, 'planetmint', filter),
        },
        {
          name: `${name} invalid_transactions`,
          client: await RecordingClient.connect(gateway.resume(`invalid_transactions?${q}`)),
          expect: (blocks) => expectedFilteredInvalid(blocks, filter),
        },
        {
          name: `${name} events`,
          client: await RecordingClient.connect(gateway.resume(`events?types=-1&${q}`)),
          expect: (blocks) => expectedEvents(blocks, 3, filter),
        },
      );
    }
    const late = chain(ledger, 30);
    await gateway.commit(...late);
    await waitUntil(() => gateway.app.height === 60, 10_000, 'every block published');

    const blocks = [...early, ...late].filter((block) => block.height > since);
    let matched = 0;
    for (const { name, client, expect } of clients) {
      const want = expect(blocks);
      matched += want.length;
      await expectFrames(client, want, name);
      await client.close();
    }
    assert.ok(matched > 50, `the filters matched something to check (${matched} frames)`);
  });

  test('sockets with the same filter in any order of values get the same frames', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger();
    const first = chain(ledger, 5);
    const keys = [...new Set(first.flatMap((block) => block.transactions).flatMap(keysOf))];
    const a = await RecordingClient.connect(
      gateway.stream(`valid_transactions?public_key=${keys[0]}&public_key=${keys[1]}`),
    );
    const b = await RecordingClient.connect(
      gateway.stream(`valid_transactions?public_key=${keys[1]},${keys[0]}`),
    );
    await gateway.commit(...first, ...chain(ledger, 10));
    await waitUntil(() => gateway.app.height === 15, 5000, 'published');
    const framesA = await settledFrames(a, 1);
    assert.ok(framesA.length > 0);
    await expectFrames(b, framesA);
    await Promise.all([a.close(), b.close()]);
  });
});
