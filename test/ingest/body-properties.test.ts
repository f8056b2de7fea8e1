/**
 * Property-based: random mutations of valid blocks never get a 5xx, a refusal writes nothing
 * (XLEN and XRANGE unchanged), and a refused block is named by field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { INGEST_ERROR_STATUS } from '@blockcast/ingest';
import fc from 'fast-check';
import { redisSkip, startIngest } from './ingest-harness.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Every path into `value`, the root (empty path) included. */
function pathsOf(value: Json): Path[] {
  const paths: Path[] = [];
  const stack: { value: Json; path: Path }[] = [{ value, path: [] }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    paths.push(top.path);
    if (top.value === null || typeof top.value !== 'object') continue;
    for (const [key, child] of Object.entries(top.value)) {
      stack.push({ value: child, path: [...top.path, Array.isArray(top.value) ? Number(key) : key] });
    }
  }
  return paths;
}

function parentOf(root: Json, path: Path): Record<string | number, Json> {
  let node = root as Record<string | number, Json>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, Json>;
  return node;
}

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, '', 0, -1, 1.5, 2 ** 53, 'CREATE', 'TRANSFER', [], {}, 'é', '\u0000'),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('extra' as const),
    pick: fc.nat(),
    key: fc.string({ maxLength: 8 }),
    value: oddValue,
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** The body to send: `block` with one mutation applied. */
function mutate(block: Json, change: Mutation): string | Buffer {
  if (change.kind === 'bytes') return Buffer.from(change.bytes);
  const text = JSON.stringify(block);
  if (change.kind === 'truncate') return text.slice(0, change.at % text.length);
  const copy = JSON.parse(text) as Json;
  const paths = pathsOf(copy);
  const path = paths[change.pick % paths.length]!;
  if (change.kind === 'set') {
    if (path.length === 0) return JSON.stringify(change.value);
    parentOf(copy, path)[path.at(-1)!] = change.value;
  } else if (change.kind === 'delete') {
    if (path.length === 0) return '';
    const parent = parentOf(copy, path);
    if (Array.isArray(parent)) parent.splice(path.at(-1) as number, 1);
    else delete parent[path.at(-1)!];
  } else {
    const target = path.length === 0 ? copy : parentOf(copy, path)[path.at(-1)!];
    if (target !== null && typeof target === 'object' && !Array.isArray(target))
      target[change.key] = change.value;
  }
  return JSON.stringify(copy);
}

describe('POST /api/v1/blocks under random mutations of valid blocks', { skip: redisSkip }, () => {
  test('never a 5xx; a refusal writes nothing and names its code (and the field, for a block)', async (t) => {
    const ingest = await startIngest(t);
    for (const height of [1, 2]) assert.equal((await ingest.post(makeBlock(height, 2))).statusCode, 201);
    const codes = new Set(Object.keys(INGEST_ERROR_STATUS));
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const before = await ingest.entries();
        const next = before.length + 1;
        const body = mutate(makeBlock(next, 2, { rejected: 1 }) as unknown as Json, change);
        const response = await ingest.post(body);
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
        assert.ok(response.statusCode < 500, `${response.statusCode} ${response.body}`);
        if (response.statusCode < 300) return;
        assert.deepEqual(await ingest.entries(), before, 'a refusal leaves XRANGE unchanged');
        const error = response.json() as { code: string; message: string; field?: unknown };
        assert.ok(codes.has(error.code), `a registered code: ${error.code}`);
        assert.equal(
          INGEST_ERROR_STATUS[error.code as keyof typeof INGEST_ERROR_STATUS],
          response.statusCode,
        );
        if (error.code === 'INVALID_BLOCK' || error.code === 'JSON_TOO_DEEP') {
          assert.equal(typeof error.field, 'string', `names the field: ${response.body}`);
          assert.ok(
            error.message.startsWith(`body${error.field}`) ||
              error.message.includes(`body${error.field}`.replace(/\/[^/]*$/, '')),
            response.body,
          );
        }
      }),
      { numRuns: 300 },
    );
    // The mutations must have reached both sides of the decision, or the property proves little.
    assert.ok((seen.get(400) ?? 0) > 50, `400s: ${JSON.stringify([...seen])}`);
    assert.ok(
      (seen.get(201) ?? 0) + (seen.get(409) ?? 0) > 0,
      `accepted or ordered refusals: ${JSON.stringify([...seen])}`,
    );
  });
});
