import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CentrifugoProtocol,
  forEachHeight,
  type ProtocolHost,
  SocketIoProtocol,
  socketIoPids,
} from '../../bench/loadgen/protocols.js';

/** A host that records what a protocol did, as the load generator's raw client would act on it. */
function recordingHost() {
  const host = {
    sent: [] as string[],
    heights: [] as number[],
    ready: [] as (string | undefined)[],
    problems: [] as string[],
  };
  const api: ProtocolHost = {
    sendText: (text) => host.sent.push(text),
    frame: (height) => {
      host.heights.push(height);
      return true;
    },
    ready: (error) => host.ready.push(error),
    fail: (problem) => host.problems.push(problem),
  };
  return { host, api };
}

function message(
  protocol: { message(b: Buffer, s: number, e: number, a: number): void },
  text: string,
): void {
  // Surrounding bytes: a message is a slice of a larger read buffer.
  const buffer = Buffer.from(`xx${text}{"height": 999}`);
  protocol.message(buffer, 2, 2 + Buffer.byteLength(text), 0);
}

test('forEachHeight counts every frame of a batch, with or without Python spacing, and stops at the end', () => {
  const text = '{"push":{"pub":{"data":{"height": 7, "a": 1}}}}\n{"push":{"pub":{"data":{"height":8}}}}';
  const buffer = Buffer.from(`${text}{"height": 9}`);
  const seen: number[] = [];
  assert.equal(
    forEachHeight(buffer, 0, Buffer.byteLength(text), (h) => seen.push(h)),
    2,
  );
  assert.deepEqual(seen, [7, 8]);
});

test('Centrifugo: subscribes on open, becomes ready on the subscribe reply, answers a ping inside a batch', () => {
  const { host, api } = recordingHost();
  const protocol = new CentrifugoProtocol(api, { since: 0, txPerBlock: 20 });
  protocol.opened();
  assert.match(
    host.sent[0]!,
    /"connect":\{\}\}\n\{"id":2,"subscribe":\{"channel":"blocks:valid_transactions"\}\}/,
  );
  message(protocol, '{"id":1,"connect":{"client":"c"}}\n{"id":2,"subscribe":{"epoch":"e1","offset":0}}');
  assert.deepEqual(host.ready, [undefined]);
  message(protocol, '{"push":{"pub":{"data":{"height": 1}}}}\n{}\n{"push":{"pub":{"data":{"height": 1}}}}');
  assert.deepEqual(host.heights, [1, 1]);
  assert.deepEqual(host.sent.slice(1), ['{}']);
});

test('Centrifugo: a resuming client asks to recover from height × frames per block in the epoch it saw', () => {
  const first = recordingHost();
  const fresh = new CentrifugoProtocol(first.api, { since: 0, txPerBlock: 20 });
  message(fresh, '{"id":2,"subscribe":{"epoch":"abc","offset":0}}');
  const { host, api } = recordingHost();
  new CentrifugoProtocol(api, { since: 5, txPerBlock: 20 }).opened();
  assert.match(host.sent[0]!, /"recover":true,"offset":100,"epoch":"abc"/);
});

test('Centrifugo: an error reply fails the subscription with its code', () => {
  const { host, api } = recordingHost();
  message(
    new CentrifugoProtocol(api, { since: 0, txPerBlock: 1 }),
    '{"id":2,"error":{"code":103,"message":"permission denied"}}',
  );
  assert.deepEqual(host.ready, ['centrifugo 2: 103 permission denied']);
});

test('Socket.IO: connects on open, pongs, counts events, and a resuming client presents its pid and offset', () => {
  const { host, api } = recordingHost();
  const protocol = new SocketIoProtocol(api, { since: 0, txPerBlock: 1 }, 0);
  message(protocol, '0{"sid":"s","pingInterval":25000}');
  message(protocol, '40{"sid":"s1","pid":"p1"}');
  message(protocol, '2');
  message(protocol, '42["frame",{"height":3,"x":"y"},"1700-0"]');
  assert.deepEqual(host.sent, ['40', '3']);
  assert.deepEqual(host.ready, [undefined]);
  assert.deepEqual(host.heights, [3]);
  assert.equal(socketIoPids[0], 'p1');

  const resumed = recordingHost();
  const again = new SocketIoProtocol(resumed.api, { since: 3, txPerBlock: 1 }, 0);
  message(again, '0{"sid":"s2"}');
  assert.deepEqual(resumed.host.sent, ['40{"pid":"p1","offset":"1700-0"}']);
});
