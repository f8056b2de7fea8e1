import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { blockDigest } from '@blockcast/protocol';
import { Client } from 'undici';
import { fixture } from '../support/fixtures.js';
import { JSON_WITH_TOKEN, redisSkip, startIngest } from './ingest-harness.js';

describe('POST /api/v1/blocks accepts committed blocks', { skip: redisSkip }, () => {
  test('a new block is 201 appended: counts and epoch in the body, one stream entry <height>-0 with its digest', async (t) => {
    const ingest = await startIngest(t);
    const block = makeBlock(1, 5, { rejected: 2 });
    const response = await ingest.post(block);
    assert.equal(response.statusCode, 201);
    const epoch = await ingest.log.epoch();
    assert.match(String(epoch), /^[0-9a-f]{16}$/);
    assert.deepEqual(response.json(), { height: 1, status: 'appended', epoch, transactions: 5, rejected: 2 });
    const entries = await ingest.entries();
    assert.equal(entries.length, 1);
    const [id, fields] = entries[0]!;
    assert.equal(id, '1-0');
    assert.equal(fields[fields.indexOf('digest') + 1], blockDigest(block));
    assert.equal(fields[fields.indexOf('epoch') + 1], epoch);
    const stored = JSON.parse(fields[fields.indexOf('block') + 1]!);
    assert.deepEqual(
      stored.transactions.map((tx: { id: string }) => tx.id),
      block.transactions.map((tx) => tx.id),
    );
  });

  test('the same block again is 200 duplicate — also with keys reordered — and writes nothing', async (t) => {
    const ingest = await startIngest(t);
    const block = makeBlock(1, 3);
    assert.equal((await ingest.post(block)).statusCode, 201);
    const before = await ingest.entries();
    const again = await ingest.post(block);
    assert.equal(again.statusCode, 200);
    const epoch = await ingest.log.epoch();
    assert.deepEqual(again.json(), { height: 1, status: 'duplicate', epoch, transactions: 3, rejected: 0 });
    const reordered = { transactions: block.transactions, hash: block.hash, height: block.height };
    assert.equal((await ingest.post(reordered)).statusCode, 200);
    assert.deepEqual(await ingest.entries(), before);
  });

  test('empty blocks, null hashes, chain ids and Planetmint 3.0 transactions are appended', async (t) => {
    const ingest = await startIngest(t);
    const answers = [];
    for (const block of [
      makeBlock(1, 0),
      makeBlock(2, 2, { hash: null, chainId: 'test-chain-1' }),
      makeBlock(3, 4, { version: '3.0', rejected: 1 }),
    ]) {
      answers.push((await ingest.post(block)).json());
    }
    const epoch = await ingest.log.epoch();
    assert.deepEqual(answers, [
      { height: 1, status: 'appended', epoch, transactions: 0, rejected: 0 },
      { height: 2, status: 'appended', epoch, transactions: 2, rejected: 0 },
      { height: 3, status: 'appended', epoch, transactions: 4, rejected: 1 },
    ]);
    assert.equal(await ingest.inspector.xlen(ingest.key), 3);
  });

  test("BigchainDB's published block-1.json is accepted exactly as published", async (t) => {
    const ingest = await startIngest(t);
    const response = await ingest.post(fixture('bigchaindb-2/block-1.json'));
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().transactions, 1);
  });

  test('40 concurrent posts of consecutive heights are all appended, in height order', async (t) => {
    const ingest = await startIngest(t);
    const blocks = Array.from({ length: 40 }, (_, i) => makeBlock(i + 1, 3));
    const responses = await Promise.all(blocks.map((block) => ingest.post(block)));
    assert.deepEqual(
      responses.map((response) => response.statusCode),
      blocks.map(() => 201),
    );
    const ids = (await ingest.entries()).map(([id]) => id);
    assert.deepEqual(
      ids,
      blocks.map((block) => `${block.height}-0`),
    );
  });
});

describe('ingest over a real socket', { skip: redisSkip }, () => {
  test('fetch: a block is appended (201) and its identical resend is a duplicate (200)', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const body = JSON.stringify(makeBlock(1, 2));
    const post = () => fetch(`${url}/api/v1/blocks`, { method: 'POST', headers: JSON_WITH_TOKEN, body });
    const first = await post();
    assert.equal(first.status, 201);
    assert.equal(((await first.json()) as { status: string }).status, 'appended');
    const second = await post();
    assert.equal(second.status, 200);
    assert.equal(((await second.json()) as { status: string }).status, 'duplicate');
    assert.equal(await ingest.inspector.xlen(ingest.key), 1);
  });

  test('HTTP pipelining: 30 requests in flight on one connection are appended in send order', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    // Proof that the requests really overlapped at the server, not one after another.
    let open = 0;
    let mostOpen = 0;
    const countOpen = (_request: IncomingMessage, response: ServerResponse) => {
      mostOpen = Math.max(mostOpen, ++open);
      response.once('finish', () => open--);
    };
    ingest.app.fastify.server.on('request', countOpen);
    const blocks = Array.from({ length: 30 }, (_, i) => makeBlock(i + 1, 4));
    const client = new Client(url, { pipelining: 30 });
    try {
      const statuses = await Promise.all(
        blocks.map(async (block) => {
          const response = await client.request({
            method: 'POST',
            path: '/api/v1/blocks',
            headers: JSON_WITH_TOKEN,
            body: JSON.stringify(block),
            // undici pipelines only idempotent requests; posting a block is (a resend is a 200 duplicate).
            idempotent: true,
          });
          await response.body.dump();
          return response.statusCode;
        }),
      );
      assert.deepEqual(
        statuses,
        blocks.map(() => 201),
      );
    } finally {
      ingest.app.fastify.server.off('request', countOpen);
      await client.close();
    }
    assert.ok(mostOpen > 1, `requests overlapped (at most ${mostOpen} open at once)`);
    const ids = (await ingest.entries()).map(([id]) => id);
    assert.deepEqual(
      ids,
      blocks.map((block) => `${block.height}-0`),
    );
  });
});
