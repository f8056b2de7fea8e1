/**
 * A Redis that stops answering (SIGSTOP: the connection stays open, nothing comes back) must not
 * hang a POST for the whole outage: REDIS_COMMAND_TIMEOUT_MS turns it into the documented 503.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlock, startRedisServer } from '@blockcast/devkit';
import { assertError, JSON_WITH_TOKEN, redisSkip, startIngest } from './ingest-harness.js';

const COMMAND_TIMEOUT_MS = 500;
/** Scheduling slack on a busy 2-core machine; the bound is what matters, not the speed. */
const SLACK_MS = 1500;

describe('ingest with Redis stopped (SIGSTOP)', { skip: redisSkip, timeout: 30_000 }, () => {
  test('a POST answers 503 LOG_UNAVAILABLE within REDIS_COMMAND_TIMEOUT_MS, /readyz 503 within its bound, and the resend after SIGCONT lands once', async (t) => {
    const server = await startRedisServer();
    let stopped = false;
    const ingest = await startIngest(t, {
      REDIS_URL: server.url,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    });
    // After hooks run in order: ingest closes first, while its Redis still answers.
    t.after(async () => {
      if (stopped) process.kill(server.pid, 'SIGCONT');
      await server.stop();
    });
    const { opsPort } = await ingest.app.start();
    assert.equal((await ingest.post(makeBlock(1, 1))).statusCode, 201);

    process.kill(server.pid, 'SIGSTOP');
    stopped = true;
    const block = makeBlock(2, 2);
    let started = performance.now();
    const response = await ingest.post(block);
    const answeredIn = performance.now() - started;
    assertError(response, 503, 'LOG_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '1');
    assert.ok(answeredIn >= COMMAND_TIMEOUT_MS - 50, `waited for the timeout (${answeredIn} ms)`);
    assert.ok(answeredIn < COMMAND_TIMEOUT_MS + SLACK_MS, `answered in ${answeredIn} ms`);

    started = performance.now();
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`, {
      headers: JSON_WITH_TOKEN,
      signal: AbortSignal.timeout(10_000),
    });
    const readyIn = performance.now() - started;
    assert.equal(ready.status, 503);
    // RedisStreamLog's ping answers false after 1000 ms.
    assert.ok(readyIn < 1000 + SLACK_MS, `/readyz answered in ${readyIn} ms`);

    process.kill(server.pid, 'SIGCONT');
    stopped = false;
    // The stopped append may have run once Redis woke up; either way the resend settles it.
    const resend = await ingest.post(block);
    assert.ok([200, 201].includes(resend.statusCode), resend.body);
    assert.deepEqual(
      (await ingest.entries()).map(([id]) => id),
      ['1-0', '2-0'],
    );
  });
});
