/**
 * REDIS_WAIT_REPLICAS over HTTP: a block the replica has not confirmed is not acknowledged —
 * 503 NOT_REPLICATED within the WAIT timeout, naming the replicas — and the resend lands once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { startReplicaPair } from '../support/redis-replica-pair.js';
import { assertError, redisSkip, startIngest } from './ingest-harness.js';

const WAIT_TIMEOUT_MS = 400;
/** Scheduling slack on a busy 2-core machine; the bound is what matters, not the speed. */
const SLACK_MS = 1500;

describe('ingest with REDIS_WAIT_REPLICAS=1', { skip: redisSkip, timeout: 60_000 }, () => {
  test('a block the stopped replica cannot confirm is 503 NOT_REPLICATED within the WAIT timeout; the resend after SIGCONT is 200 and the stream holds it once', async (t) => {
    const { master, replica } = await startReplicaPair(t);
    const ingest = await startIngest(t, {
      REDIS_URL: master.url,
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
    });
    await ingest.app.start();
    // On a busy machine even a running replica may miss the short WAIT: resend until acknowledged.
    const acknowledged = async (block: unknown) => {
      let status = 0;
      for (let attempt = 0; attempt < 30 && status !== 200 && status !== 201; attempt += 1) {
        status = (await ingest.post(block)).statusCode;
      }
      return status;
    };
    assert.ok([200, 201].includes(await acknowledged(makeBlock(1, 1))), 'block 1 acknowledged');

    const block = makeBlock(2, 2);
    process.kill(replica.pid, 'SIGSTOP');
    const started = performance.now();
    const response = await ingest.post(block).finally(() => process.kill(replica.pid, 'SIGCONT'));
    const answeredIn = performance.now() - started;
    assertError(response, 503, 'NOT_REPLICATED');
    assert.equal(response.headers['retry-after'], '1');
    assert.deepEqual([response.json().replicas_required, response.json().replicas_acknowledged], [1, 0]);
    assert.ok(answeredIn < WAIT_TIMEOUT_MS + SLACK_MS, `answered in ${Math.round(answeredIn)} ms`);

    // The replica catches up within a second or two of SIGCONT; until then a resend is 503 again.
    assert.equal(await acknowledged(block), 200, 'the resend is an acknowledged duplicate');
    assert.deepEqual(
      (await ingest.entries()).map(([id]) => id),
      ['1-0', '2-0'],
    );
  });
});
