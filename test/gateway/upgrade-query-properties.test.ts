/**
 * Property-based tests (fast-check) of upgrade query strings, random and mutated, sent over raw
 * sockets: never a 5xx or a crash; a refusal is the one the protocol's parser gives, with a code
 * from the registry and the parameter it names present in the query; an accepted request
 * delivers exactly the frames it asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import {
  type CommittedBlock,
  FRAME_PROFILES,
  OPERATIONS,
  parseStreamRequest,
  STREAM_CATALOG,
  STREAM_PARAMETERS,
  UPGRADE_ERRORS,
  UpgradeError,
} from '@blockcast/protocol';
import fc from 'fast-check';
import { expectFrames } from '../support/barrier.js';
import { expectedValidBlocks, expectedValidTransactions } from '../support/expected-frames.js';
import { startGateway } from '../support/gateway-harness.js';
import { handshakeLines, rawRequest } from '../support/raw-http.js';
import { RecordingClient } from '../support/ws-client.js';

const HEAD = 5;
const BLOCKS: CommittedBlock[] = Array.from({ length: HEAD }, (_, i) => makeBlock(i + 1, 2));
const KEY = '3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w';
const PARAMETERS = Object.keys(STREAM_PARAMETERS);

/** Values that are valid somewhere, near-valid, or hostile. */
const value = fc.oneof(
  fc.constantFrom(
    ...FRAME_PROFILES,
    'all',
    '-1',
    '1',
    '2',
    '3',
    '4',
    '0',
    'BLOCK_VALID|BLOCK_INVALID',
    'toString',
  ),
  fc.constantFrom(
    'NODE_STATUS',
    'APP_MESSAGE,BLOCK_VALID',
    '12',
    '1024',
    '3-1',
    `${HEAD}-1`,
    '2-0',
    '1-',
    '-1-2',
  ),
  fc.constantFrom(...OPERATIONS, 'CREATE,TRANSFER', KEY, 'a'.repeat(64), 'A'.repeat(64), '9'.repeat(400)),
  fc.integer({ min: -3, max: HEAD + 3 }).map(String),
  fc.constantFrom('', '%', '%ZZ', '%00', '%FF%FE', '1e3', '0x10', ' 1', '1.5', '__proto__', 'constructor'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('x'.repeat(8000), '%'.repeat(3000)),
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PARAMETERS) },
  { weight: 1, arbitrary: fc.constantFrom('access_token', 'cachebuster', '', '__proto__', 'SINCE') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
/** `k=v&…`, each part percent-encoded, or left raw so broken escapes reach the server. */
const pair = fc
  .tuple(key, value, fc.boolean())
  .map(([k, v, encode]) =>
    encode ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${safe(k)}=${safe(v)}`,
  );
const query = fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join('&'));

/** Mutations of a query: characters inserted, removed, or a part repeated. */
const mutated = fc
  .tuple(
    query,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('&', '=', '%', '+', ',', ';', '|', '%2', 'x', '')), {
      maxLength: 4,
    }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, insert] of edits) {
      const i = out.length === 0 ? 0 : at % (out.length + 1);
      out = insert === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + insert + out.slice(i);
    }
    return out;
  });

const stream = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STREAM_CATALOG.map((s) => s.name)) },
  { weight: 1, arbitrary: fc.constantFrom('valid_tx/', 'nothing', 'valid_blocks%00', '') },
);

/** What may stand in a request line as is: everything else is percent-encoded. */
function safe(text: string): string {
  return [...text]
    .map((c) => (/^[A-Za-z0-9\-._~!$'()*+,;:@/%|]$/.test(c) ? c : encodeURIComponent(c)))
    .join('');
}

/** docs/protocol.md, "Handshake size": request line and headers as sent. */
const MAX_HEAD_BYTES = 4096;

test('random and mutated upgrade queries: never a 5xx, and each refusal is the parser’s, naming a parameter that is in the query, or 431 for a head over 4 096 bytes', async (t) => {
  const gateway = await startGateway(t);
  await gateway.commit(...BLOCKS);
  const port = Number(new URL(gateway.url).port);
  const seen: Record<string, number> = {};

  await fc.assert(
    fc.asyncProperty(stream, fc.oneof(query, mutated), async (name, text) => {
      const path = `/api/v1/streams/${name}`;
      const lines = handshakeLines(text === '' ? path : `${path}?${text}`);
      const response = await rawRequest(port, lines);
      assert.ok(response.status > 0 && response.status < 500, `status ${response.status}`);
      let expected: { status: number; code?: string; parameter?: unknown } = { status: 101 };
      if (Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`) > MAX_HEAD_BYTES)
        expected = { status: 431, code: 'HEADERS_TOO_LARGE' };
      else
        try {
          const request = parseStreamRequest(path, text, 'bigchaindb');
          if (request.epoch !== undefined && request.epoch !== gateway.app.epoch)
            expected = { status: 409, code: 'EPOCH_MISMATCH' };
          else if (request.since !== undefined && request.epoch === undefined)
            expected = { status: 400, code: 'EPOCH_REQUIRED' };
          // No generic event was emitted here, so an event position at the head is ahead of it too.
          else if (
            request.since !== undefined &&
            (request.since.height > HEAD || (request.since.height === HEAD && request.since.seq > 0))
          )
            expected = { status: 400, code: 'SINCE_AHEAD' };
        } catch (error) {
          if (!(error instanceof UpgradeError)) throw error;
          expected = { status: error.status, code: error.code, parameter: error.details.parameter };
        }
      seen[expected.code ?? '101'] = (seen[expected.code ?? '101'] ?? 0) + 1;
      assert.equal(response.status, expected.status, `${path}?${text}`);
      if (expected.status === 101) return;
      const body = JSON.parse(response.body) as { code: string; message: string; parameter?: string };
      assert.equal(body.code, expected.code);
      assert.ok(body.code in UPGRADE_ERRORS, 'a code from the registry');
      assert.ok(body.message.length > 0);
      assert.equal(body.parameter, expected.parameter);
      if (body.parameter !== undefined) {
        assert.ok(new URLSearchParams(text).has(body.parameter), `"${body.parameter}" is in the query`);
      }
    }),
    { numRuns: 400 },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(seen)}`);
  assert.ok((seen['101'] ?? 0) > 0 && (seen.INVALID_PARAMETER ?? 0) > 0, 'both sides were exercised');
  // Still serving after all of it.
  const client = await RecordingClient.connect(gateway.resume(`valid_blocks?since=${HEAD - 1}`));
  await expectFrames(client, expectedValidBlocks(BLOCKS.slice(HEAD - 1)));
  await client.close();
});

test('an accepted request delivers exactly the frames its parameters select', async (t) => {
  const gateway = await startGateway(t);
  await gateway.commit(...BLOCKS);
  const request = fc.record({
    stream: fc.constantFrom('valid_blocks', 'valid_transactions'),
    since: fc.integer({ min: 0, max: HEAD }),
    profile: fc.option(fc.constantFrom(...FRAME_PROFILES), { nil: undefined }),
    noise: fc.option(fc.constantFrom('cachebuster=1', 'access_token=', 'x=%ZZ'), { nil: undefined }),
  });
  await fc.assert(
    fc.asyncProperty(request, async ({ stream: name, since, profile, noise }) => {
      const parts = [`since=${since}`];
      if (profile && name === 'valid_transactions') parts.push(`profile=${profile}`);
      if (noise) parts.push(noise);
      const client = await RecordingClient.connect(gateway.resume(`${name}?${parts.join('&')}`));
      const after = BLOCKS.filter((block) => block.height > since);
      const expected =
        name === 'valid_blocks'
          ? expectedValidBlocks(after)
          : expectedValidTransactions(after, profile ?? 'bigchaindb');
      await expectFrames(client, expected, parts.join('&'));
      await client.close();
    }),
    { numRuns: 40 },
  );
});
