/** Bearer tokens and HMAC body signatures (architecture §5): who may append, and that refusals write nothing. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { signBodyWith } from '@blockcast/protocol';
import {
  assertError,
  type IngestHarness,
  OTHER_SECRET,
  OTHER_TOKEN,
  redisSkip,
  SECRET,
  startIngest,
  TOKEN,
} from './ingest-harness.js';

const JSON_ONLY = { 'content-type': 'application/json' };
const now = () => Math.floor(Date.now() / 1000);

function signed(header: string, extra: Record<string, string> = {}) {
  return { ...JSON_ONLY, 'x-blockcast-signature': header, ...extra };
}

async function assertNothingWritten(ingest: IngestHarness): Promise<void> {
  assert.equal(await ingest.inspector.xlen(ingest.key), 0);
}

describe('with tokens and secrets configured', { skip: redisSkip }, () => {
  test('every configured bearer token is accepted (rotation)', async (t) => {
    const ingest = await startIngest(t);
    assert.equal(
      (await ingest.post(makeBlock(1, 1), { ...JSON_ONLY, authorization: `Bearer ${TOKEN}` })).statusCode,
      201,
    );
    const second = await ingest.post(makeBlock(2, 1), {
      ...JSON_ONLY,
      authorization: `bearer ${OTHER_TOKEN}`,
    });
    assert.equal(second.statusCode, 201);
  });

  test('a body signed with a configured secret is appended without any token', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 2));
    const response = await ingest.post(body, signed(signBodyWith(SECRET, body, now())));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('any configured secret may match, among several v1 signatures (rotation on both sides)', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 2));
    const at = now() - 60;
    const mac = (secret: string) => signBodyWith(secret, body, at).split('v1=')[1];
    const header = `t=${at},v1=${mac('a-secret-this-server-never-had')},v1=${mac(OTHER_SECRET)}`;
    const response = await ingest.post(body, signed(header));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('either credential suffices: a wrong token with a valid signature is appended', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 1));
    const headers = signed(signBodyWith(SECRET, body, now()), {
      authorization: 'Bearer wrong-token-0123456789abc',
    });
    assert.equal((await ingest.post(body, headers)).statusCode, 201);
  });

  test('a signature older than INGEST_HMAC_MAX_SKEW_S (300 s) is 401 SIGNATURE_STALE', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 1));
    for (const at of [now() - 301, now() + 301]) {
      const response = await ingest.post(body, signed(signBodyWith(SECRET, body, at)));
      const error = assertError(response, 401, 'SIGNATURE_STALE');
      assert.equal(error.max_skew_seconds, 300);
      assert.match(error.message as string, new RegExp(`t=${at} is 30[12] s from the server clock`));
      assert.ok(response.headers['www-authenticate']);
    }
    await assertNothingWritten(ingest);
  });

  test('a signature made with an unknown secret is 401 SIGNATURE_INVALID', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 1));
    const response = await ingest.post(
      body,
      signed(signBodyWith('not-a-configured-secret-000', body, now())),
    );
    const error = assertError(response, 401, 'SIGNATURE_INVALID');
    assert.match(error.message as string, /does not match the body/);
    await assertNothingWritten(ingest);
  });

  test('the HMAC covers the raw bytes: the same JSON re-serialised does not verify', async (t) => {
    const ingest = await startIngest(t);
    const block = makeBlock(1, 1);
    const signedBody = JSON.stringify(block);
    const sentBody = JSON.stringify(block, null, 2);
    const response = await ingest.post(sentBody, signed(signBodyWith(SECRET, signedBody, now())));
    assertError(response, 401, 'SIGNATURE_INVALID');
    await assertNothingWritten(ingest);
  });

  test('a malformed signature header is 401 SIGNATURE_INVALID saying what is missing', async (t) => {
    const ingest = await startIngest(t);
    const body = JSON.stringify(makeBlock(1, 1));
    const cases: [header: string, problem: RegExp][] = [
      [`v1=${'a'.repeat(64)}`, /has no t=/],
      [`t=${now()}`, /has no v1=/],
      [`t=${now()},v1=xyz`, /has no v1=/],
    ];
    for (const [header, problem] of cases) {
      const error = assertError(await ingest.post(body, signed(header)), 401, 'SIGNATURE_INVALID');
      assert.match(error.message as string, problem);
    }
    await assertNothingWritten(ingest);
  });
});

describe('with only tokens configured', { skip: redisSkip }, () => {
  test('a signature is not a credential, and the challenge names only Bearer', async (t) => {
    const ingest = await startIngest(t, { INGEST_HMAC_SECRETS: '' });
    const body = JSON.stringify(makeBlock(1, 1));
    const response = await ingest.post(body, signed(signBodyWith(SECRET, body, now())));
    assertError(response, 401, 'UNAUTHORIZED');
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="blockcast-ingest"');
    assert.equal(await ingest.inspector.xlen(ingest.key), 0);
  });
});

describe('with only secrets configured', { skip: redisSkip }, () => {
  test('a bearer token is not a credential; a signature is', async (t) => {
    const ingest = await startIngest(t, { INGEST_TOKENS: '' });
    const body = JSON.stringify(makeBlock(1, 1));
    assertError(
      await ingest.post(body, { ...JSON_ONLY, authorization: `Bearer ${TOKEN}` }),
      401,
      'UNAUTHORIZED',
    );
    assert.equal(await ingest.inspector.xlen(ingest.key), 0);
    assert.equal((await ingest.post(body, signed(signBodyWith(SECRET, body, now())))).statusCode, 201);
  });
});

describe('with INGEST_ALLOW_NO_AUTH=true and no credentials', { skip: redisSkip }, () => {
  test('blocks are appended without any credential', async (t) => {
    const ingest = await startIngest(t, {
      INGEST_TOKENS: '',
      INGEST_HMAC_SECRETS: '',
      INGEST_ALLOW_NO_AUTH: 'true',
    });
    assert.equal((await ingest.post(makeBlock(1, 1), JSON_ONLY)).statusCode, 201);
  });
});
