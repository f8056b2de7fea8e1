/**
 * Frames RFC 6455 says a server must refuse, sent over raw sockets, and what the pinned uWS
 * build does with each (docs/protocol.md, "Frames the transport refuses"). uWS handles them
 * before any gateway code runs, so these tests pin its behaviour: when an upgrade of the
 * package changes it, they fail and the doc is updated with them. Whatever a hostile peer
 * sends, other clients go on receiving their frames.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { makeBlock, waitUntil } from '@blockcast/devkit';
import { expectFrames } from '../support/barrier.js';
import { expectedValidBlocks } from '../support/expected-frames.js';
import { startGateway } from '../support/gateway-harness.js';
import { frame, RawWebSocket } from '../support/raw-websocket.js';
import { RecordingClient } from '../support/ws-client.js';

const TEXT = 0x1;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;

const closePayload = (code: number, reason: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reason]);

/** Protocol errors: RFC 6455 says fail the connection (close 1002 or 1007); uWS cuts TCP, no close frame. */
const CUT_WITHOUT_CLOSE_FRAME: [string, Buffer[]][] = [
  ['reserved opcode 0x3', [frame(0x3, 'x')]],
  ['reserved control opcode 0xB', [frame(0xb, 'x')]],
  ['RSV1 set without an extension', [frame(TEXT, 'ping', { rsv: 4 })]],
  ['a fragmented ping', [frame(PING, 'x', { fin: false })]],
  ['a ping with 126 bytes of payload', [frame(PING, Buffer.alloc(126))]],
  ['a continuation with nothing to continue', [frame(CONTINUATION, 'x')]],
  ['a new text frame inside a fragmented one', [frame(TEXT, 'a', { fin: false }), frame(TEXT, 'b')]],
  ['invalid UTF-8 in a text frame', [frame(TEXT, Buffer.from([0xff, 0xfe, 0x70]))]],
  [
    'invalid UTF-8 across fragments',
    [frame(TEXT, Buffer.from([0xe2, 0x82]), { fin: false }), frame(CONTINUATION, Buffer.from([0x28]))],
  ],
];

/** Close frames with a code RFC 6455 forbids on the wire: uWS answers with an empty close frame (1005), not 1002. */
const BAD_CLOSE: [string, Buffer][] = [
  ['1005 (never sent on the wire)', closePayload(1005)],
  ['1006 (never sent on the wire)', closePayload(1006)],
  ['999 (below the range)', closePayload(999)],
  ['1004 (reserved)', closePayload(1004)],
  ['5000 (above the range)', closePayload(5000)],
  ['a one-byte payload', Buffer.from([0x03])],
  ['1000 with an invalid UTF-8 reason', closePayload(1000, Buffer.from([0xff, 0xfe]))],
];

test('frames that break the protocol end the connection at once, without a close frame, and others keep streaming', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const bystander = await RecordingClient.connect(gateway.stream('valid_blocks'));
  for (const [name, frames] of CUT_WITHOUT_CLOSE_FRAME) {
    const socket = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
    socket.send(...frames);
    const ended = await Promise.race([socket.ended.then(() => true), delay(2000).then(() => false)]);
    assert.ok(ended, `${name}: the connection ended within 2 s`);
    assert.deepEqual(socket.frames(), [], `${name}: nothing was sent back, not even a close frame`);
  }
  const blocks = [makeBlock(1, 1), makeBlock(2, 1)];
  await gateway.commit(...blocks);
  await expectFrames(bystander, expectedValidBlocks(blocks), 'the bystander');
  assert.equal(gateway.app.connections, 1, 'only the bystander is still counted');
  await bystander.close();
});

test('close frames with a forbidden code or payload are answered with an empty close frame (1005), then closed', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  for (const [name, payload] of BAD_CLOSE) {
    const socket = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
    socket.send(frame(CLOSE, payload));
    await Promise.race([socket.ended, delay(2000)]);
    assert.ok(!socket.open, `${name}: closed`);
    const frames = socket.frames();
    assert.deepEqual(
      frames.map((f) => [f.opcode, f.payload.length]),
      [[CLOSE, 0]],
      `${name}: one empty close frame back`,
    );
  }
  const normal = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
  normal.send(frame(CLOSE, closePayload(1000)));
  await normal.ended;
  assert.equal(normal.frames()[0]?.closeCode, 1000, 'a valid close is echoed');
});

test('an unmasked client frame is not refused: uWS reads it as masked, answers nothing, and cuts at the next frame', async (t) => {
  const gateway = await startGateway(t);
  const port = Number(new URL(gateway.url).port);
  const read = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
  // Four zero bytes complete it as uWS reads it: "ping" as the masking key over a payload of zeros,
  // which unmasks to "ping". So the one "pong" proves the connection stayed open, the payload was
  // taken for a key, and nothing was answered to the unmasked frame itself (it would come first).
  read.send(frame(TEXT, 'ping', { masked: false }), Buffer.alloc(4));
  await waitUntil(() => read.frames().length >= 1, 5000, 'an answer to the completed frame');
  assert.deepEqual(
    read.frames().map((f) => [f.opcode, f.payload.toString()]),
    [[TEXT, 'pong']],
    'no answer to the unmasked frame, then "pong" for the frame read as masked',
  );
  read.destroy();

  const socket = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
  socket.send(frame(TEXT, 'ping', { masked: false }));
  // Its payload is taken for a masking key, so the next frame is read from the wrong boundary.
  socket.send(frame(TEXT, 'ping'));
  const ended = await Promise.race([socket.ended.then(() => true), delay(2000).then(() => false)]);
  assert.ok(ended, 'the connection is cut');
  assert.deepEqual(socket.frames(), [], 'without a close frame');

  const control = await RawWebSocket.open(port, '/api/v1/streams/valid_blocks');
  // The last "ping" is a barrier: its "pong" comes after every answer to the frames before it.
  control.send(frame(TEXT, 'ping'), frame(PING, 'hi'), frame(TEXT, 'ping'));
  await waitUntil(() => control.frames().length >= 3, 5000, 'three answers');
  assert.deepEqual(
    control.frames().map((f) => [f.opcode, f.payload.toString()]),
    [
      [TEXT, 'pong'],
      [0xa, 'hi'],
      [TEXT, 'pong'],
    ],
    'the same frames masked are answered',
  );
  control.destroy();
});
