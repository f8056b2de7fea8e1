/** POST /api/v1/events/<type> on a real Redis: what is answered is what the bus holds, in one order with the blocks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetricsRegistry } from '@blockcast/common';
import { makeBlock } from '@blockcast/devkit';
import { type GenericEvent, signBodyWith } from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import { JSON_WITH_TOKEN, redisSkip, SECRET, startIngest } from './ingest-harness.js';

interface Emitted {
  type: string;
  height: number;
  seq: number;
  position: string;
  epoch: string;
}

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  const found = values.find((value) =>
    Object.entries(labels).every(([key, label]) => value.labels[key] === label),
  );
  return found?.value ?? 0;
}

describe('POST /api/v1/events/<type> emits generic events', { skip: redisSkip }, () => {
  test('a valid event is 201 with its type, position and epoch; the stream holds it at H-S with fields event and epoch', async (t) => {
    const ingest = await startIngest(t);
    assert.equal((await ingest.post(makeBlock(1, 2))).statusCode, 201);
    const content = { node_id: 'node-7', status: 'degraded', height: 1, message: 'disk 91 % full' };
    const before = Date.now();
    const response = await ingest.emit('NODE_STATUS', { content });
    assert.equal(response.statusCode, 201, response.body);
    const epoch = await ingest.log.epoch();
    assert.deepEqual(response.json(), { type: 'NODE_STATUS', height: 1, seq: 1, position: '1-1', epoch });
    const [, [id, fields]] = (await ingest.entries()) as [unknown, [string, string[]]];
    assert.equal(id, '1-1');
    assert.deepEqual([fields[0], fields[2], fields[3]], ['event', 'epoch', epoch]);
    const stored = JSON.parse(fields[1]!) as GenericEvent;
    assert.deepEqual(
      { ...stored, emittedAt: 0 },
      { type: 'NODE_STATUS', height: 1, seq: 1, content, emittedAt: 0 },
    );
    assert.ok(
      stored.emittedAt >= before && stored.emittedAt <= Date.now(),
      'emittedAt is the time ingest accepted it',
    );
  });

  test('before the first block an event sits at the first height − 1 and block 1 still follows', async (t) => {
    const ingest = await startIngest(t);
    const response = await ingest.emit('APP_MESSAGE', {
      content: { topic: 'boot', body: { any: ['json', 1, null] } },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((response.json() as Emitted).position, '0-1');
    assert.equal((await ingest.post(makeBlock(1, 1))).statusCode, 201);
    assert.deepEqual(
      (await ingest.entries()).map(([id]) => id),
      ['0-1', '1-0'],
    );
  });

  test('the same Idempotency-Key again is 200 with the original answer and writes nothing', async (t) => {
    const ingest = await startIngest(t);
    const headers = { ...JSON_WITH_TOKEN, 'idempotency-key': '7c4a8d09-ca37-4c0f-a1d2-0123456789ab' };
    const body = { content: { topic: 'orders', body: { id: 42 } } };
    const first = await ingest.emit('APP_MESSAGE', body, headers);
    assert.equal(first.statusCode, 201);
    const stored = await ingest.entries();
    const again = await ingest.emit(
      'APP_MESSAGE',
      { content: { body: { id: 42 }, topic: 'orders' } },
      headers,
    );
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), first.json());
    assert.deepEqual(await ingest.entries(), stored, 'nothing written');
    const ttl = await ingest.inspector.pttl(
      `${ingest.key.replace(/blocks$/, '')}emitted:${headers['idempotency-key']}`,
    );
    assert.ok(ttl > 86_000_000 && ttl <= 86_400_000, `remembered for 24 h, ${ttl} ms left`);
  });

  test('a body signed with a configured secret is emitted without any token', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify({ content: { node_id: 'n', status: 'up' } });
    const headers = {
      'content-type': 'application/json',
      'x-blockcast-signature': signBodyWith(SECRET, body, Math.floor(Date.now() / 1000)),
    };
    const response = await ingest.emit('NODE_STATUS', body, headers);
    assert.equal(response.statusCode, 201, response.body);
  });

  test('concurrent posts of events and blocks get one total order: every answer names a distinct place, and the bus holds each there', async (t) => {
    const ingest = await startIngest(t);
    assert.equal((await ingest.post(makeBlock(1, 0))).statusCode, 201);
    const blocks = (async () => {
      for (const height of [2, 3, 4]) assert.equal((await ingest.post(makeBlock(height, 1))).statusCode, 201);
    })();
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ingest.emit('APP_MESSAGE', { content: { topic: 'race', body: i } }).then((response) => {
          assert.equal(response.statusCode, 201, response.body);
          return { sent: i, answer: response.json() as Emitted };
        }),
      ),
    );
    await blocks;
    const positions = answers.map(({ answer }) => answer.position);
    assert.equal(new Set(positions).size, 60, 'no two answers share a place');
    const entries = await ingest.log.readEntries({ height: 0, seq: 0 }, 1000);
    assert.deepEqual(
      entries.filter((entry) => entry.kind === 'block').map((entry) => entry.height),
      [1, 2, 3, 4],
    );
    const events = entries.filter((entry) => entry.kind === 'event');
    assert.equal(events.length, 60);
    for (const { sent, answer } of answers) {
      const stored = events.find((event) => `${event.height}-${event.seq}` === answer.position);
      assert.equal((stored?.content as { body: number }).body, sent, `the event at ${answer.position}`);
    }
    // Seqs count up from 1 after each block: nothing lost, nothing doubled.
    for (const height of new Set(events.map((event) => event.height))) {
      const seqs = events.filter((event) => event.height === height).map((event) => event.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
      );
    }
  });

  test('an ingest following a node emits events with event-only tokens, and serves no events route without any credential', async (t) => {
    const follower = { SOURCE: 'cometbft', INGEST_TOKENS: '', INGEST_HMAC_SECRETS: '' };
    const open = await startIngest(t, follower);
    const refused = await open.emit(
      'NODE_STATUS',
      { content: { node_id: 'n', status: 'up' } },
      { 'content-type': 'application/json' },
    );
    assert.equal(refused.json().code, 'NOT_FOUND');
    assert.equal(await open.inspector.xlen(open.key), 0);
    const token = 'an-app-token-0123456789abcdef';
    const guarded = await startIngest(t, { ...follower, INGEST_EVENT_TOKENS: token });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const emitted = await guarded.emit('NODE_STATUS', { content: { node_id: 'n', status: 'up' } }, headers);
    assert.equal(emitted.statusCode, 201, emitted.body);
    const anonymous = await guarded.emit(
      'NODE_STATUS',
      { content: { node_id: 'n', status: 'up' } },
      { 'content-type': 'application/json' },
    );
    assert.equal(anonymous.statusCode, 401);
  });

  test('metrics count events by type and result, and refusals by type and code', async (t) => {
    const registry = createMetricsRegistry('ingest', { defaultMetrics: false });
    const ingest = await startIngest(t, { INGEST_EVENTS_PER_HEIGHT: '2' }, { registry });
    const key = { ...JSON_WITH_TOKEN, 'idempotency-key': 'once' };
    assert.equal(
      await counter(registry, 'blockcast_ingest_events_total', { type: 'APP_MESSAGE', result: 'appended' }),
      0,
    );
    await ingest.emit('NODE_STATUS', { content: { node_id: 'n', status: 'up' } }, key);
    await ingest.emit('NODE_STATUS', { content: { node_id: 'n', status: 'up' } }, key);
    await ingest.emit('NODE_STATUS', { content: { node_id: 'n', status: 'nope' } });
    await ingest.emit('APP_MESSAGE', { content: { topic: 't', body: 1 } });
    await ingest.emit('APP_MESSAGE', { content: { topic: 't', body: 2 } });
    await ingest.emit('BLOCK_VALID', { content: {} });
    await ingest.emit('NO_SUCH', { content: {} });
    const events = (type: string, result: string) =>
      counter(registry, 'blockcast_ingest_events_total', { type, result });
    const refusals = (type: string, code: string) =>
      counter(registry, 'blockcast_ingest_event_refusals_total', { type, code });
    assert.deepEqual(
      await Promise.all([
        events('NODE_STATUS', 'appended'),
        events('NODE_STATUS', 'duplicate'),
        events('NODE_STATUS', 'refused'),
        events('APP_MESSAGE', 'appended'),
        events('APP_MESSAGE', 'refused'),
        events('not_emitted', 'refused'),
        refusals('NODE_STATUS', 'INVALID_EVENT'),
        refusals('APP_MESSAGE', 'TOO_MANY_EVENTS_AT_HEIGHT'),
        refusals('not_emitted', 'NOT_AN_EMITTED_TYPE'),
        refusals('not_emitted', 'UNKNOWN_EVENT_TYPE'),
      ]),
      [1, 1, 1, 1, 1, 2, 1, 1, 1, 1],
    );
    assert.equal(
      await counter(registry, 'blockcast_ingest_blocks_total', { result: 'refused' }),
      0,
      'event refusals are not block refusals',
    );
  });
});
