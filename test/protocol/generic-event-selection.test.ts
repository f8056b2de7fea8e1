/** Which subscriptions take generic events, how `since` names positions, and how close reasons carry them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent } from '@blockcast/devkit';
import {
  blockEntry,
  CLOSE_CODES,
  closeReason,
  type EventEntry,
  EventType,
  entryFramesFor,
  framesFor,
  genericEventFrame,
  parseStreamRequest,
  positionIn,
  reportedPosition,
  selectsGenericEvents,
  subscriptionKey,
  UpgradeError,
} from '@blockcast/protocol';

const KEY = '3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w';

const status: EventEntry = {
  kind: 'event',
  type: 'NODE_STATUS',
  height: 12,
  seq: 3,
  content: { node_id: 'node-ä', status: 'up' },
  emittedAt: 0,
};
const message: EventEntry = {
  kind: 'event',
  type: 'APP_MESSAGE',
  height: 12,
  seq: 4,
  content: { topic: 't', body: [1, 'two'] },
  emittedAt: 0,
};

function request(stream: string, query: string) {
  return parseStreamRequest(`/api/v1/streams/${stream}`, query, 'bigchaindb');
}

function refusal(stream: string, query: string): [string, unknown] {
  try {
    request(stream, query);
  } catch (error) {
    if (error instanceof UpgradeError) return [error.code, error.details.parameter];
    throw error;
  }
  return ['accepted', undefined];
}

describe('since names a position', () => {
  test('H on every stream, H-S on events', () => {
    assert.deepEqual(request('valid_blocks', 'since=12').since, { height: 12, seq: 0 });
    assert.deepEqual(request('events', 'since=12').since, { height: 12, seq: 0 });
    assert.deepEqual(request('events', 'since=12-3').since, { height: 12, seq: 3 });
    assert.deepEqual(request('events', 'since=0-1').since, { height: 0, seq: 1 });
  });

  test('H-S on a stream that carries blocks only is refused naming since; H-0 is the height', () => {
    for (const stream of ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions']) {
      assert.deepEqual(refusal(stream, 'since=12-3'), ['INVALID_PARAMETER', 'since'], stream);
      assert.deepEqual(request(stream, 'since=12-0').since, { height: 12, seq: 0 }, stream);
    }
  });

  test('anything that is not H or H-S is refused naming since', () => {
    for (const value of ['12-', '-3', '12-3-4', '01-2', '12-03', '1.5', '12--3', 'x-1']) {
      assert.deepEqual(
        refusal('events', `since=${encodeURIComponent(value)}`),
        ['INVALID_PARAMETER', 'since'],
        value,
      );
    }
  });
});

describe('generic events on the events stream', () => {
  test('types selects emitted types by bit or name; an unassigned bit alone is refused', () => {
    assert.equal(request('events', 'types=4').typeMask, EventType.NODE_STATUS);
    assert.equal(request('events', 'types=NODE_STATUS,APP_MESSAGE').typeMask, 12);
    assert.deepEqual(refusal('events', 'types=1024'), ['INVALID_PARAMETER', 'types']);
  });

  test('a subscription gets a generic event, byte for byte genericEventFrame, only when its mask selects the type', () => {
    const nodeStatus = request('events', 'types=NODE_STATUS');
    assert.deepEqual(entryFramesFor(nodeStatus, status), [genericEventFrame(status)]);
    assert.deepEqual(entryFramesFor(nodeStatus, message), []);
    assert.deepEqual(entryFramesFor(request('events', ''), message), [genericEventFrame(message)]);
    assert.deepEqual(entryFramesFor(request('events', 'types=3'), status), []);
    assert.equal(
      genericEventFrame(status),
      '{"type": "NODE_STATUS", "height": 12, "seq": 3, "content": {"node_id": "node-\\u00e4", "status": "up"}}',
    );
  });

  test('block-only streams never get a generic event', () => {
    for (const stream of ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions']) {
      assert.deepEqual(entryFramesFor(request(stream, ''), status), [], stream);
      assert.equal(selectsGenericEvents(request(stream, '')), false, stream);
    }
  });

  test('a transaction filter takes no generic events: with all types it gets blocks only, naming an emitted type beside it is refused', () => {
    const filtered = request('events', `public_key=${KEY}`);
    assert.deepEqual(entryFramesFor(filtered, status), []);
    assert.equal(selectsGenericEvents(filtered), false);
    assert.equal(subscriptionKey(filtered), subscriptionKey(request('events', `types=3&public_key=${KEY}`)));
    assert.deepEqual(refusal('events', `types=5&public_key=${KEY}`), [
      'PARAMETER_NOT_APPLICABLE',
      'public_key',
    ]);
    assert.deepEqual(refusal('events', 'types=APP_MESSAGE&operation=CREATE'), [
      'PARAMETER_NOT_APPLICABLE',
      'operation',
    ]);
  });

  test('subscriptions that select different emitted types have different keys; block frames are unchanged', () => {
    const keys = ['types=4', 'types=8', 'types=12', 'types=1', 'types=-1'].map((query) =>
      subscriptionKey(request('events', query)),
    );
    assert.equal(new Set(keys).size, keys.length);
    const block = blockEntry(makeBlockEvent(5, 2));
    assert.deepEqual(
      entryFramesFor(request('events', 'types=5'), block),
      framesFor(request('events', 'types=1'), block),
    );
  });
});

describe('positions in close reasons', () => {
  test('an event position prints as H-S and reads back with its seq; a height alone has none', () => {
    const reason = closeReason('DRAINING', { since: '12-3', epoch: 'abc' });
    assert.equal(reason, 'draining; since=12-3; epoch=abc');
    assert.deepEqual(positionIn(reason), { since: 12, seq: 3, epoch: 'abc' });
    assert.deepEqual(positionIn('draining; since=12; epoch=abc'), { since: 12, epoch: 'abc' });
    assert.equal(positionIn('stream reset; epoch=abc'), undefined);
    assert.ok(reason.length <= 123 && CLOSE_CODES.DRAINING.code === 1001);
  });

  test('a subscription no generic event reaches reports the height of its position', () => {
    const at = { height: 12, seq: 3 };
    assert.deepEqual(reportedPosition(request('events', 'types=NODE_STATUS'), at), at);
    assert.deepEqual(reportedPosition(request('events', 'types=BLOCK_VALID'), at), { height: 12, seq: 0 });
    assert.deepEqual(reportedPosition(request('valid_blocks', ''), at), { height: 12, seq: 0 });
    assert.deepEqual(reportedPosition(request('events', `public_key=${KEY}`), at), { height: 12, seq: 0 });
  });
});
