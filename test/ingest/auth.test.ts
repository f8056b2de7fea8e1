/** Bearer tokens and HMAC body signatures (architecture §5): who may append, and that refusals write nothing. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { signBody } from '@blockcast/ingest';
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

describe('with tokens and secrets configured', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  before(async () => {
    ingest = await startIngest();
  });
  after(() => ingest.close());
  beforeEach(() => ingest.inspector.del(ingest.key));

  async function assertNothingWritten(): Promise<void> {
    assert.equal(await ingest.inspector.xlen(ingest.key), 0);
  }

  test('every configured bearer token is accepted (rotation)', async () => {
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

  test('a body signed with a configured secret is appended without any token', async () => {
    const body = JSON.stringify(makeBlock(1, 2));
    const response = await ingest.post(body, signed(signBody(SECRET, body, now())));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('any configured secret may match, among several v1 signatures (rotation on both sides)', async () => {
    const body = JSON.stringify(makeBlock(1, 2));
    const t = now() - 60;
    const mac = (secret: string) => signBody(secret, body, t).split('v1=')[1];
    const header = `t=${t},v1=${mac('a-secret-this-server-never-had')},v1=${mac(OTHER_SECRET)}`;
    const response = await ingest.post(body, signed(header));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('either credential suffices: a wrong token with a valid signature is appended', async () => {
    const body = JSON.stringify(makeBlock(1, 1));
    const headers = signed(signBody(SECRET, body, now()), {
      authorization: 'Bearer wrong-token-0123456789abc',
    });
    assert.equal((await ingest.post(body, headers)).statusCode, 201);
  });

  test('a signature older than INGEST_HMAC_MAX_SKEW_S (300 s) is 401 SIGNATURE_STALE', async () => {
    const body = JSON.stringify(makeBlock(1, 1));
    for (const t of [now() - 301, now() + 301]) {
      const response = await ingest.post(body, signed(signBody(SECRET, body, t)));
      const error = assertError(response, 401, 'SIGNATURE_STALE');
      assert.equal(error.max_skew_seconds, 300);
      assert.match(error.message as string, new RegExp(`t=${t} is 30[12] s from the server clock`));
      assert.ok(response.headers['www-authenticate']);
    }
    await assertNothingWritten();
  });

  test('a signature made with an unknown secret is 401 SIGNATURE_INVALID', async () => {
    const body = JSON.stringify(makeBlock(1, 1));
    const response = await ingest.post(body, signed(signBody('not-a-configured-secret-000', body, now())));
    const error = assertError(response, 401, 'SIGNATURE_INVALID');
    assert.match(error.message as string, /does not match the body/);
    await assertNothingWritten();
  });

  test('the HMAC covers the raw bytes: the same JSON re-serialised does not verify', async () => {
    const block = makeBlock(1, 1);
    const signedBody = JSON.stringify(block);
    const sentBody = JSON.stringify(block, null, 2);
    const response = await ingest.post(sentBody, signed(signBody(SECRET, signedBody, now())));
    assertError(response, 401, 'SIGNATURE_INVALID');
    await assertNothingWritten();
  });

  test('a malformed signature header is 401 SIGNATURE_INVALID saying what is missing', async () => {
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
    await assertNothingWritten();
  });
});

describe('with only tokens configured', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  before(async () => {
    ingest = await startIngest({ INGEST_HMAC_SECRETS: '' });
  });
  after(() => ingest.close());

  test('a signature is not a credential, and the challenge names only Bearer', async () => {
    const body = JSON.stringify(makeBlock(1, 1));
    const response = await ingest.post(body, signed(signBody(SECRET, body, now())));
    assertError(response, 401, 'UNAUTHORIZED');
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="blockcast-ingest"');
    assert.equal(await ingest.inspector.xlen(ingest.key), 0);
  });
});

describe('with only secrets configured', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  before(async () => {
    ingest = await startIngest({ INGEST_TOKENS: '' });
  });
  after(() => ingest.close());

  test('a bearer token is not a credential; a signature is', async () => {
    const body = JSON.stringify(makeBlock(1, 1));
    assertError(
      await ingest.post(body, { ...JSON_ONLY, authorization: `Bearer ${TOKEN}` }),
      401,
      'UNAUTHORIZED',
    );
    assert.equal(await ingest.inspector.xlen(ingest.key), 0);
    assert.equal((await ingest.post(body, signed(signBody(SECRET, body, now())))).statusCode, 201);
  });
});

describe('with INGEST_ALLOW_NO_AUTH=true and no credentials', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  before(async () => {
    ingest = await startIngest({ INGEST_TOKENS: '', INGEST_HMAC_SECRETS: '', INGEST_ALLOW_NO_AUTH: 'true' });
  });
  after(() => ingest.close());

  test('blocks are appended without any credential', async () => {
    assert.equal((await ingest.post(makeBlock(1, 1), JSON_ONLY)).statusCode, 201);
  });
});
