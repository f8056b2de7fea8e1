/**
 * LEAP's emit end to end, every part its own process: generic events POSTed to ingest reach the
 * `events` clients of both gateways at once, in the bus order between the blocks, only where the
 * mask selects them; a retry with the same Idempotency-Key is not a second event; the position the
 * POST answers with is a resume cursor on any gateway.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { EventType, type GenericEvent } from '@blockcast/protocol';
import { expectFrames } from '../support/barrier.js';
import {
  type BusItem,
  busAfter,
  busBlocks,
  expectedBusEvents,
  expectedValidBlocks,
} from '../support/expected-frames.js';
import { redisOrSkip } from '../support/redis.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';
import { RecordingClient } from '../support/ws-client.js';

const available = await redisOrSkip();
after(() => ('redis' in available ? available.redis.stop() : undefined));

interface Emitted {
  status: number;
  body: { type: string; height: number; seq: number; position: string; epoch: string };
}

async function emit(stack: ServiceStack, type: string, content: unknown, key: string): Promise<Emitted> {
  const response = await fetch(`${stack.ingest.url}/api/v1/events/${type}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${stack.token}`,
      'idempotency-key': key,
    },
    body: JSON.stringify({ content }),
  });
  return { status: response.status, body: (await response.json()) as Emitted['body'] };
}

test(
  'events POSTed to ingest reach both gateways in bus order, once, where the mask selects them; the answer is a resume position',
  { skip: 'skip' in available ? available.skip : false, timeout: 120_000 },
  async (t) => {
    if (!('redis' in available)) return;
    const stack = await startServiceStack({
      redisUrl: available.redis.url,
      label: 'e2e-events',
      gateways: 2,
    });
    t.after(() => stack.stop());
    const url = (gateway: number, path: string) =>
      `ws://127.0.0.1:${stack.gateways[gateway]!.port}/api/v1/streams/${path}`;
    const paths = ['events', 'events?types=NODE_STATUS', 'valid_blocks'] as const;
    const clients = await Promise.all(
      [0, 1].flatMap((gateway) =>
        paths.map(async (path) => ({ path, client: await RecordingClient.connect(url(gateway, path)) })),
      ),
    );
    const ledger = new DemoLedger();
    const items: BusItem[] = [];
    const postBlock = async (transactions: number) => {
      const block = ledger.nextBlock(transactions);
      assert.equal((await stack.post(block)).status, 201);
      items.push({ block });
    };
    const postEvent = async (type: 'NODE_STATUS' | 'APP_MESSAGE', content: unknown) => {
      const key = randomUUID();
      const first = await emit(stack, type, content, key);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      // A retry (say, after a timeout) answers with the original and writes nothing.
      const again = await emit(stack, type, content, key);
      assert.deepEqual([again.status, again.body], [200, first.body]);
      const { height, seq, position } = first.body;
      assert.equal(position, `${height}-${seq}`);
      const event: GenericEvent = { type, height, seq, content, emittedAt: 0 };
      items.push({ event });
      return first.body;
    };

    await postBlock(2);
    await postEvent('NODE_STATUS', { node_id: 'node-1', status: 'up', height: 1 });
    const message = await postEvent('APP_MESSAGE', { topic: 'chat', body: { text: 'grüß dich', n: [1, 2] } });
    await postBlock(1);
    await postBlock(0);
    await postEvent('NODE_STATUS', { node_id: 'node-2', status: 'degraded', message: 'catching up' });
    const want = {
      events: expectedBusEvents(items, -1),
      'events?types=NODE_STATUS': expectedBusEvents(items, EventType.NODE_STATUS),
      valid_blocks: expectedValidBlocks(busBlocks(items)),
    };
    for (const { path, client } of clients) await expectFrames(client, want[path], path);

    // The answer of a POST resumes on either gateway: exactly what came after it.
    for (const gateway of [0, 1]) {
      const resumed = await RecordingClient.connect(
        url(gateway, `events?since=${message.position}&epoch=${message.epoch}`),
      );
      await expectFrames(
        resumed,
        expectedBusEvents(busAfter(items, message.position), -1),
        `gateway ${gateway}`,
      );
      await resumed.close();
    }
    await Promise.all(clients.map(({ client }) => client.close()));
  },
);
