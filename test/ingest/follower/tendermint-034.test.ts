/**
 * Tendermint 0.34 (and 0.32/0.33) answer shapes. No 0.34 node can be built here (its module is not
 * served by the Go module proxy), so a real HTTP server in the test answers /status, /block and
 * /block_results exactly as those versions shape them, with no WebSocket: the follower must poll.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { makeTransaction, waitUntil } from '@blockcast/devkit';
import type { Transaction } from '@blockcast/protocol';
import { followerOn, redisSkip } from './follower-harness.js';

interface ChainBlock {
  txs: (Transaction | string)[];
  /** Result code per transaction (0 valid). */
  codes: number[];
}

type ResultsShape = 'txs_results' | 'deliver_tx';

const hashOf = (height: number) => height.toString(16).toUpperCase().padStart(64, '0');

/** A node of that version as far as the follower can tell: its three GET endpoints, JSON-RPC envelopes included. */
async function startRecordedNode(
  t: { after(fn: () => Promise<unknown>): void },
  chain: ChainBlock[],
  shape: ResultsShape,
  /** The first request to this path gets no answer at all. */
  hangFirst?: string,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://node');
    requests.push(url.pathname);
    if (url.pathname === hangFirst && requests.filter((path) => path === hangFirst).length === 1) return;
    const height = Number(url.searchParams.get('height'));
    const block = chain[height - 1];
    const reply = (result: unknown) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: -1, result }));
    if (url.pathname === '/status') {
      return reply({
        node_info: { network: 'recorded-chain', version: shape === 'txs_results' ? '0.34.24' : '0.33.9' },
        sync_info: {
          latest_block_hash: hashOf(chain.length),
          latest_block_height: String(chain.length),
          earliest_block_height: '1',
          catching_up: false,
        },
      });
    }
    if (block === undefined) {
      return response.writeHead(500).end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: -1,
          error: {
            code: -32603,
            message: 'Internal error',
            data: `height ${height} must be less than or equal to the current blockchain height ${chain.length}`,
          },
        }),
      );
    }
    if (url.pathname === '/block') {
      const txs = block.txs.map((tx) =>
        Buffer.from(typeof tx === 'string' ? tx : JSON.stringify(tx)).toString('base64'),
      );
      return reply({
        block_id: { hash: hashOf(height), parts: { total: 1, hash: hashOf(height + 1000) } },
        block: {
          header: {
            version: { block: '11' },
            chain_id: 'recorded-chain',
            height: String(height),
            time: '2022-11-08T10:00:00Z',
          },
          data: { txs: txs.length === 0 ? null : txs },
          evidence: { evidence: [] },
        },
      });
    }
    if (url.pathname === '/block_results') {
      const results = block.codes.map((code) => ({
        code,
        data: null,
        log: code === 0 ? '' : 'input already spent',
        info: '',
        gas_wanted: '0',
        gas_used: '0',
        events: [],
        codespace: '',
      }));
      const list = results.length === 0 ? null : results;
      return reply(
        shape === 'txs_results'
          ? {
              height: String(height),
              txs_results: list,
              begin_block_events: [],
              end_block_events: null,
              validator_updates: null,
              consensus_param_updates: null,
            }
          : { height: String(height), results: { deliver_tx: list, end_block: { validator_updates: null } } },
      );
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function chainWithRejections(): { chain: ChainBlock[]; valid: Transaction; rejected: Transaction } {
  const valid = makeTransaction();
  const rejected = makeTransaction({ operation: 'TRANSFER' });
  return {
    valid,
    rejected,
    chain: [
      { txs: [], codes: [] },
      { txs: [valid, rejected], codes: [0, 2] },
      { txs: ['not a bigchaindb transaction', makeTransaction()], codes: [0, 0] },
    ],
  };
}

describe('chain follower on Tendermint 0.34 and 0.33 answer shapes', { skip: redisSkip }, () => {
  for (const shape of ['txs_results', 'deliver_tx'] as const) {
    test(`${shape}: results by code, non-BigchainDB transactions left out, polling without a WebSocket, new heights followed`, async (t) => {
      const { chain, valid, rejected } = chainWithRejections();
      const node = await startRecordedNode(t, chain, shape);
      const follower = followerOn(node.url);
      t.after(() => follower.close());
      const { app } = await follower.startFollower();
      const pushed = await app.fastify.inject({
        method: 'POST',
        url: '/api/v1/blocks',
        payload: { height: 1, transactions: [] },
      });
      assert.equal(pushed.statusCode, 404, 'a follower takes no blocks over HTTP');
      await waitUntil(async () => (await follower.log.bounds())?.last === 3, 10_000, 'three heights', 50);
      chain.push({ txs: [makeTransaction()], codes: [0] });
      await waitUntil(async () => (await follower.log.bounds())?.last === 4, 10_000, 'the fourth height', 50);

      const bus = await follower.bus();
      assert.deepEqual(
        bus.map((block) => [block.height, block.hash, block.chainId]),
        [1, 2, 3, 4].map((h) => [h, hashOf(h), 'recorded-chain']),
      );
      assert.deepEqual(bus[0]!.transactions, []);
      assert.deepEqual(
        bus[1]!.transactions.map((tx) => tx.id),
        [valid.id],
      );
      assert.deepEqual(
        bus[1]!.rejected.map((tx) => [tx.id, tx.code, tx.reason]),
        [[rejected.id, 2, 'input already spent']],
      );
      assert.deepEqual(
        bus[2]!.transactions.map((tx) => tx.id),
        [(chain[2]!.txs[1] as Transaction).id],
        'the non-JSON transaction is skipped',
      );
      assert.ok(node.requests.includes('/block_results'));
    });
  }

  test('an RPC call unanswered within FOLLOWER_RPC_TIMEOUT_MS is given up and retried; the height is still appended once', async (t) => {
    const { chain, valid } = chainWithRejections();
    const node = await startRecordedNode(t, chain, 'txs_results', '/block');
    const follower = followerOn(node.url);
    t.after(() => follower.close());
    const started = Date.now();
    await follower.startFollower({ FOLLOWER_RPC_TIMEOUT_MS: '300', FOLLOWER_SUBSCRIBE: 'false' });
    await waitUntil(async () => (await follower.log.bounds())?.last === 3, 10_000, 'three heights', 50);
    assert.ok(Date.now() - started >= 300, 'the hung call was waited on for its timeout first');
    assert.ok(node.requests.filter((path) => path === '/block').length >= 4, 'height 1 asked for again');
    const bus = await follower.bus();
    assert.deepEqual(
      bus.map((block) => block.height),
      [1, 2, 3],
    );
    assert.deepEqual(
      bus[1]!.transactions.map((tx) => tx.id),
      [valid.id],
    );
  });

  test('closing ingest while an RPC call hangs returns at once, not after FOLLOWER_RPC_TIMEOUT_MS', async (t) => {
    const { chain } = chainWithRejections();
    const node = await startRecordedNode(t, chain, 'txs_results', '/status');
    const follower = followerOn(node.url);
    t.after(() => follower.close());
    const { app } = await follower.startFollower({
      FOLLOWER_RPC_TIMEOUT_MS: '60000',
      FOLLOWER_SUBSCRIBE: 'false',
    });
    await waitUntil(() => node.requests.includes('/status'), 5000, 'the hanging /status asked', 20);
    const began = Date.now();
    await app.close();
    assert.ok(Date.now() - began < 5000, 'closed without waiting out the 60 s timeout');
    assert.equal(await follower.log.bounds(), null, 'nothing appended');
  });
});
