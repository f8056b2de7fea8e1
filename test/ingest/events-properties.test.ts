/**
 * Property-based: random NODE_STATUS bodies built to be valid are emitted (201, stored as sent at
 * the answered position); the same bodies broken in one known way are refused with INVALID_EVENT
 * naming the broken field, and random bytes never get a 5xx; a refusal writes nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { redisSkip, startIngest } from './ingest-harness.js';

const STATUSES = ['up', 'syncing', 'degraded', 'down'] as const;

/** Exactly the NODE_STATUS schema of the catalog: required fields, optional ones, their bounds. */
const validContent = fc.record(
  {
    node_id: fc.string({ minLength: 1, maxLength: 128 }),
    status: fc.constantFrom(...STATUSES),
    height: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    message: fc.string({ maxLength: 1024 }),
  },
  { requiredKeys: ['node_id', 'status'], noNullPrototype: true },
);

function holdsHugeInteger(value: unknown): boolean {
  let huge = false;
  JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'number' && Number.isInteger(item) && !Number.isSafeInteger(item)) huge = true;
    return item;
  });
  return huge;
}

/** One way to break valid content, with the field the refusal must name. */
const breakage = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom('node_id', 'status') }),
  fc.record({
    kind: fc.constant('status' as const),
    // Integers beyond 2^53 are refused first, as UNSAFE_NUMBER (events-refuse.test.ts).
    value: fc
      .jsonValue()
      .filter((value) => !(STATUSES as readonly unknown[]).includes(value) && !holdsHugeInteger(value)),
  }),
  fc.record({
    kind: fc.constant('extra' as const),
    key: fc
      .string({ minLength: 1, maxLength: 10 })
      .filter((key) => !['node_id', 'status', 'height', 'message'].includes(key)),
  }),
  fc.record({
    kind: fc.constant('node_id' as const),
    value: fc.oneof(
      fc.constant(''),
      fc.integer(),
      fc.constant(null),
      fc.string({ minLength: 129, maxLength: 140 }),
    ),
  }),
  fc.record({
    kind: fc.constant('height' as const),
    value: fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.string()),
  }),
);
type Breakage = typeof breakage extends fc.Arbitrary<infer B> ? B : never;

function broken(
  content: Record<string, unknown>,
  change: Breakage,
): { content: Record<string, unknown>; field: string } {
  const copy = { ...content };
  switch (change.kind) {
    case 'drop':
      delete copy[change.field];
      return { content: copy, field: `/content/${change.field}` };
    case 'extra':
      copy[change.key] = 1;
      return { content: copy, field: `/content/${change.key.replaceAll('~', '~0').replaceAll('/', '~1')}` };
    case 'status':
      return { content: { ...copy, status: change.value }, field: '/content/status' };
    case 'node_id':
      return { content: { ...copy, node_id: change.value }, field: '/content/node_id' };
    case 'height':
      return { content: { ...copy, height: change.value }, field: '/content/height' };
  }
}

describe('POST /api/v1/events/NODE_STATUS on random bodies', { skip: redisSkip }, () => {
  test('valid bodies are emitted as sent, broken ones refused naming the field, random bytes never 5xx; refusals write nothing', async (t) => {
    const ingest = await startIngest(t, { INGEST_EVENTS_PER_HEIGHT: '100000' });
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        validContent,
        breakage,
        fc.uint8Array({ maxLength: 200 }),
        async (content, change, bytes) => {
          const accepted = await ingest.emit('NODE_STATUS', { content });
          assert.equal(accepted.statusCode, 201, accepted.body);
          stored++;
          const { height, seq } = accepted.json() as { height: number; seq: number };
          const [event] = await ingest.log.readEntries({ height, seq: seq - 1 }, 1);
          assert.deepEqual(event && 'content' in event ? event.content : undefined, content);

          const bad = broken(content, change);
          const refused = await ingest.emit('NODE_STATUS', { content: bad.content });
          assert.equal(refused.statusCode, 400, refused.body);
          assert.deepEqual(
            [refused.json().code, refused.json().field],
            ['INVALID_EVENT', bad.field],
            `${JSON.stringify(bad.content)}: ${refused.body}`,
          );

          const random = await ingest.emit('NODE_STATUS', Buffer.from(bytes));
          assert.ok(random.statusCode < 500, random.body);
          if (random.statusCode === 201) stored++;
          assert.equal(await ingest.inspector.xlen(ingest.key), stored, 'only acceptances are written');
        },
      ),
      { numRuns: 120 },
    );
  });
});
