import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger, waitUntil } from '@blockcast/devkit';
import { CloseCode } from '@blockcast/protocol';
import { startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

test('a client that stops reading is closed with 4008 after whole blocks, and the others get everything', async () => {
  const gateway = await startGateway({ slowClientBytes: 64 * 1024 });
  const url = `${gateway.url}/api/v1/streams/valid_transactions`;
  const slow = await RecordingClient.connect(url);
  const healthy = await RecordingClient.connect(url);
  // Stop reading from the socket: the server's queue for it grows with every block.
  const raw = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();

  const ledger = new DemoLedger();
  let frames = 0;
  let committed = 0;
  // Enough to overflow the kernel's socket buffers and the 64 KiB limit; bounded in count.
  while (gateway.app.connections === 2 && committed < 4000) {
    const block = ledger.nextBlock(50);
    await gateway.commit(block);
    committed += 1;
    frames += block.transactions.length;
    if (committed % 50 === 0) await delay(20);
  }
  await waitUntil(() => gateway.app.connections === 1, 10_000, 'the slow client to be closed');
  raw.resume();
  const closed = await slow.closed;
  assert.equal(closed.code, CloseCode.TOO_SLOW);
  const lastSent = Number(/last height sent (\d+)/.exec(closed.reason)?.[1]);
  assert.ok(lastSent >= 1, `close reason names the last height: ${closed.reason}`);

  // What the slow client did receive is every frame of blocks 1..lastSent, in order, nothing cut.
  const heights = slow.frames.map((frame) => JSON.parse(frame).height as number);
  assert.equal(heights.at(-1), lastSent);
  assert.equal(slow.frames.length, lastSent * 50);
  assert.deepEqual(
    heights,
    [...heights].sort((a, b) => a - b),
  );

  await healthy.waitForFrames(frames, 30_000);
  assert.equal(healthy.frames.length, frames, 'the healthy client got every frame');
  await healthy.close();
  await gateway.close();
});
