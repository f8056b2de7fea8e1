/**
 * The whole path with every part in its own process, as deployed: ingest, two gateways and
 * discovery against one real Redis. Clients find the stream through the API root like a
 * BigchainDB client would, half of them on each gateway (as a load balancer would spread them),
 * and must receive exactly the frames of everything ingested: all of it, in order, once. Then
 * clients resume with `since` on either gateway, and move from one gateway to the other mid-stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import type { CommittedBlock, FrameProfile } from '@blockcast/protocol';
import {
  after as blocksAfter,
  expectedEvents,
  expectedInvalidTransactions,
  expectedLegacyValidTx,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import { redisOrSkip } from '../support/redis.js';
import { ResumingClient } from '../support/resuming-client.js';
import { assertSameFrames } from '../support/same-frames.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';
import { RecordingClient } from '../support/ws-client.js';

const BLOCKS = 300;
const CLIENTS_PER_STREAM = 4;

/** Each stream (path and query) and its frames, derived from the raw blocks independently of blockcast. */
const STREAMS: Record<string, (blocks: CommittedBlock[], profile: FrameProfile) => string[]> = {
  valid_transactions: expectedValidTransactions,
  valid_blocks: expectedValidBlocks,
  valid_tx: expectedLegacyValidTx,
  invalid_transactions: expectedInvalidTransactions,
  events: (blocks) => expectedEvents(blocks, -1),
  'events?types=1': (blocks) => expectedEvents(blocks, 1),
  'events?types=BLOCK_INVALID': (blocks) => expectedEvents(blocks, 2),
};
/** Streams whose frames carry a height, so a client can resume them by the cut rule. */
const RESUMABLE = Object.keys(STREAMS).filter((stream) => stream !== 'valid_tx');

const available = await redisOrSkip();
after(() => ('redis' in available ? available.redis.stop() : undefined));

for (const profile of ['bigchaindb', 'planetmint'] as const) {
  describe(
    `end to end, ${profile} profile`,
    { ...('skip' in available ? { skip: available.skip } : {}) },
    () => {
      let stack: ServiceStack;
      let blocks: CommittedBlock[] = [];
      const streamUrl = (gateway: number, stream: string) => {
        const url = new URL(`ws://127.0.0.1:${stack.gateways[gateway]!.port}/api/v1/streams/${stream}`);
        return url.toString();
      };

      before(
        async () => {
          if (!('redis' in available)) return;
          stack = await startServiceStack({
            redisUrl: available.redis.url,
            label: `e2e-${profile}`,
            gateways: 2,
            profile,
          });
        },
        { timeout: 60_000 },
      );

      after(async () => {
        const codes = await stack?.stop();
        assert.deepEqual(codes, [0, 0, 0, 0], 'every service exits cleanly on SIGTERM');
      });

      test(`${BLOCKS} blocks reach every client of every stream exactly once, in order`, async () => {
        const root = (await (await fetch(`${stack.discovery.url}/api/v1/`)).json()) as { streams: string };
        const discovered = new URL(root.streams);
        assert.equal(discovered.pathname, '/api/v1/streams/valid_transactions');
        assert.equal(discovered.port, String(stack.gateways[0]!.port));

        const clients = new Map<string, RecordingClient[]>();
        for (const stream of Object.keys(STREAMS)) {
          const list: RecordingClient[] = [];
          for (let i = 0; i < CLIENTS_PER_STREAM; i += 1) {
            const url = new URL(`${discovered.origin}/api/v1/streams/${stream}`);
            url.port = String(stack.gateways[i % 2]!.port);
            list.push(await RecordingClient.connect(url.toString()));
          }
          clients.set(stream, list);
        }

        blocks = makeChain(profile === 'planetmint' ? '3.0' : '2.0');
        for (const block of blocks) {
          const response = await stack.post(block);
          assert.equal(response.status, 201, `block ${block.height}: ${await response.text()}`);
        }

        for (const [stream, expected] of Object.entries(STREAMS)) {
          const want = expected(blocks, profile);
          assert.ok(want.length > 0, `${stream} has frames to compare`);
          for (const [i, client] of clients.get(stream)!.entries()) {
            await client.waitForFrames(want.length, 30_000);
            assertSameFrames(client.frames, want, `${stream} client ${i} (gateway ${(i % 2) + 1})`);
          }
        }
        await Promise.all([...clients.values()].flat().map((client) => client.close()));
      });

      test('clients resuming with since and the catalog’s epoch get every later event from either gateway', async (t) => {
        assert.equal(blocks.length, BLOCKS, 'the blocks of the first test are on the stream');
        const catalog = (await (await fetch(`${stack.discovery.url}/api/v1/streams`)).json()) as {
          epoch: string;
        };
        const resumes: { stream: string; since: number; client: ResumingClient }[] = [];
        for (const stream of RESUMABLE) {
          for (const [gateway, since] of [
            [0, 0],
            [1, 0],
            [0, 150],
            [1, 150],
            [0, BLOCKS - 1],
            [1, BLOCKS - 1],
          ] as const) {
            const client = new ResumingClient({
              url: streamUrl(gateway, stream),
              since,
              epoch: catalog.epoch,
            });
            resumes.push({ stream, since, client });
          }
        }
        t.after(() => Promise.all(resumes.map(({ client }) => client.stop())));
        await Promise.all(resumes.map(({ client }) => client.start()));
        for (const { stream, since, client } of resumes) {
          const want = STREAMS[stream]!(blocksAfter(blocks, since), profile);
          await client.settle(want.length, 30_000);
          assertSameFrames(client.frames, want, `${stream} since=${since}`);
        }
      });

      test('a client moving from gateway 1 to gateway 2 mid-stream keeps every event exactly once', async (t) => {
        assert.equal(blocks.length, BLOCKS, 'the blocks of the first test are on the stream');
        const { epoch } = (await (await fetch(`${stack.discovery.url}/api/v1/streams`)).json()) as {
          epoch: string;
        };
        const movers = RESUMABLE.map((stream) => ({
          stream,
          client: new ResumingClient({ url: streamUrl(0, stream), since: 0, epoch }),
        }));
        // Each cut lands between two frames of one block where the stream has such a block.
        for (const { stream, client } of movers)
          client.moveAt(cutInsideABlock(STREAMS[stream]!(blocks, profile)), streamUrl(1, stream));
        t.after(() => Promise.all(movers.map(({ client }) => client.stop())));
        await Promise.all(movers.map(({ client }) => client.start()));
        for (const { stream, client } of movers) {
          const want = STREAMS[stream]!(blocks, profile);
          await client.settle(want.length, 30_000);
          assertSameFrames(client.frames, want, `${stream} moved from gateway 1 to 2`);
          assert.equal(client.closes.length, 1, `${stream}: one move`);
        }
      });
    },
  );
}

/** A frame count a third of the way in, after which the next frame has the same height (if any does). */
function cutInsideABlock(frames: string[]): number {
  const height = (i: number) => (JSON.parse(frames[i]!) as { height: number }).height;
  const first = Math.ceil(frames.length / 3);
  for (let i = first; i < frames.length; i += 1) if (height(i - 1) === height(i)) return i;
  return first;
}

/**
 * 300 blocks of 0–50 transactions; every fifth block also carries rejected transactions. The last
 * block has a valid and a rejected transaction, so it produces a frame on every stream: once it
 * has arrived, an extra or repeated frame from any earlier block would already be visible.
 */
function makeChain(version: '2.0' | '3.0'): CommittedBlock[] {
  const ledger = new DemoLedger({ version, participants: 12 });
  const outsider = new DemoLedger({ version });
  return Array.from({ length: BLOCKS }, (_, i) => {
    const block = ledger.nextBlock(i === BLOCKS - 1 ? 1 : Math.floor(Math.random() * 51));
    if (i % 5 === 0 || i === BLOCKS - 1) {
      block.rejected = outsider.nextBlock(1 + (i % 3)).transactions.map((transaction, j) => ({
        transaction,
        code: 1 + j,
        log: `rejected at ${block.height}: "double spend"`,
      }));
    }
    return block;
  });
}
