/**
 * The chain follower (SOURCE=cometbft) against a real CometBFT 0.38 node running the test ABCI app
 * (test/ingest/follower/bigchain-abci: BigchainDB transaction JSON, double spends rejected with code 2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, makeTransaction, startService, waitUntil } from '@blockcast/devkit';
import type { BlockEvent, Transaction } from '@blockcast/protocol';
import { newPublicKey } from '@blockcast/protocol';
import { type CometNode, cometbftSkip, startCometNode } from '../../support/cometbft-node.js';
import { followerOn, nodeBlock, redisSkip } from './follower-harness.js';

const skip = redisSkip || cometbftSkip();

/** Credentials this process may carry: blanked, so the process under test proves it needs none. */
const NO_INGEST_CREDENTIALS = { INGEST_TOKENS: '', INGEST_HMAC_SECRETS: '', INGEST_ALLOW_NO_AUTH: '' };

/** A CREATE and two TRANSFERs of its one output: the second is a double spend the app rejects. */
function doubleSpend(): { create: Transaction; spend: Transaction; again: Transaction } {
  const owner = newPublicKey();
  const create = makeTransaction({ from: owner });
  const transfer = () =>
    makeTransaction({ operation: 'TRANSFER', from: owner, assetId: create.id, spends: create.id });
  return { create, spend: transfer(), again: transfer() };
}

/** The bus holds heights 1…top with no gap, and each block has exactly the node's valid and rejected transactions. */
async function assertBusMatchesNode(bus: BlockEvent[], rpcUrl: string): Promise<void> {
  assert.deepEqual(
    bus.map((block) => block.height),
    Array.from({ length: bus.length }, (_, i) => i + 1),
    'contiguous heights from 1',
  );
  for (const block of bus) {
    const committed = await nodeBlock(rpcUrl, block.height);
    assert.deepEqual(
      block.transactions.map((tx) => tx.id),
      committed.valid,
      `valid transactions of ${block.height}`,
    );
    assert.deepEqual(
      block.rejected.map((tx) => ({ id: tx.id, code: tx.code, log: tx.reason })),
      committed.rejected,
      `rejected transactions of ${block.height}`,
    );
  }
}

async function busReaches(follower: ReturnType<typeof followerOn>, height: number, timeoutMs = 20_000) {
  await waitUntil(
    async () => ((await follower.log.bounds())?.last ?? 0) >= height,
    timeoutMs,
    `bus at height ${height}`,
    100,
  );
}

describe('chain follower on a real CometBFT node', { skip }, () => {
  let node: CometNode;
  before(async () => {
    node = await startCometNode();
  });
  after(() => node?.stop());

  test('blocks appear on the bus in order, with rejected transactions separated by their code and log', async (t) => {
    const follower = followerOn(node.rpcUrl);
    t.after(() => follower.close());
    await follower.startFollower();
    const { create, spend, again } = doubleSpend();
    await node.broadcast(create);
    await node.committedHeight(create);
    await node.broadcast(spend);
    await node.broadcast(again);
    const rejectedAt = await node.committedHeight(again);
    const validAt = await node.committedHeight(spend);
    await busReaches(follower, Math.max(rejectedAt, validAt));

    const bus = await follower.bus();
    const rejectedBlock = bus.find((block) => block.height === rejectedAt)!;
    assert.deepEqual(
      rejectedBlock.rejected.map((tx) => [tx.id, tx.code]),
      [[again.id, 2]],
    );
    assert.match(rejectedBlock.rejected[0]!.reason, new RegExp(`input already spent: ${create.id}:0`));
    assert.ok(bus.find((block) => block.height === validAt)!.transactions.some((tx) => tx.id === spend.id));
    assert.ok(
      bus.every((block) => block.hash !== null && /^[0-9A-F]{64}$/.test(block.hash)),
      'block hashes',
    );
    await assertBusMatchesNode(bus, node.rpcUrl);
  });

  test('a follower stopped while the node advances backfills every missed height on restart', async (t) => {
    const follower = followerOn(node.rpcUrl);
    t.after(() => follower.close());
    const { app: first } = await follower.startFollower();
    await busReaches(follower, await node.latestHeight());
    await first.close();
    const stoppedAt = (await follower.log.bounds())!.last;

    const { create, spend, again } = doubleSpend();
    await node.broadcast(create);
    await node.committedHeight(create);
    await node.broadcast(spend);
    await node.broadcast(again);
    await node.committedHeight(again);
    await waitUntil(
      async () => (await node.latestHeight()) >= stoppedAt + 5,
      20_000,
      'five more blocks',
      100,
    );
    const nodeTop = await node.latestHeight();
    assert.equal((await follower.log.bounds())!.last, stoppedAt, 'nothing appended while stopped');

    await follower.startFollower();
    await busReaches(follower, nodeTop);
    await assertBusMatchesNode(await follower.bus(), node.rpcUrl);
  });

  test('killing the node mid-stream loses nothing: the follower waits, then continues from the bus', async (t) => {
    const follower = followerOn(node.rpcUrl);
    t.after(() => follower.close());
    const { opsPort } = await follower.startFollower();
    const { create, spend, again } = doubleSpend();
    await node.broadcast(create);
    await node.broadcast(spend);
    await node.broadcast(again);
    await node.committedHeight(again);
    await busReaches(follower, await node.latestHeight());

    await node.kill();
    const readiness = async () =>
      (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).json() as Promise<{ reason?: string }>;
    await waitUntil(
      async () => /CometBFT RPC/.test((await readiness()).reason ?? ''),
      10_000,
      'not ready, naming the node',
      100,
    );
    await node.start();
    const afterRestart = doubleSpend();
    await node.broadcast(afterRestart.create);
    await node.committedHeight(afterRestart.create);
    await busReaches(follower, await node.latestHeight());
    await assertBusMatchesNode(await follower.bus(), node.rpcUrl);
  });

  test("the node's NewBlock events wake the follower: with a 60 s poll it still takes each new block as it is committed", async (t) => {
    const follower = followerOn(node.rpcUrl);
    t.after(() => follower.close());
    await follower.startFollower({ FOLLOWER_POLL_MS: '60000' });
    await busReaches(follower, await node.latestHeight());
    const { create } = doubleSpend();
    await node.broadcast(create);
    const height = await node.committedHeight(create);
    // Well inside the 60 s poll: only a wake-up can have started the round that appends it.
    await busReaches(follower, height, 15_000);
    const block = (await follower.bus()).find((each) => each.height === height)!;
    assert.deepEqual(
      block.transactions.map((tx) => tx.id),
      [create.id],
    );
  });

  test('as a process: SOURCE=cometbft without credentials starts, is ready once the node answers, follows it, and exits 0 on SIGTERM', async (t) => {
    const follower = followerOn(node.rpcUrl);
    t.after(() => follower.close());
    const opsPort = await freePort();
    const service = startService('ingest', {
      env: {
        ...NO_INGEST_CREDENTIALS,
        SOURCE: 'cometbft',
        COMETBFT_RPC_URL: node.rpcUrl,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(await freePort()),
        INGEST_OPS_PORT: String(opsPort),
        REDIS_URL: follower.redisUrl,
        BLOCKCAST_STREAM_PREFIX: follower.prefix,
      },
    });
    t.after(() => service.stop(2000));
    await service.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
    await busReaches(follower, await node.latestHeight());
    assert.equal(await service.stop(10_000), 0, service.output());
    assert.match(service.output(), /"source":"cometbft".*"msg":"ingest listening"/);
  });
});
