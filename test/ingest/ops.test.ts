/** The ops port (health, readiness, metrics), an unreachable log, a lost reply, and a graceful close. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Env } from '@blockcast/common';
import { makeBlock } from '@blockcast/devkit';
import type { EventLog } from '@blockcast/event-log';
import type { CommittedBlock } from '@blockcast/protocol';
import { freePort } from '../support/redis.js';
import {
  assertError,
  type IngestHarness,
  JSON_WITH_TOKEN,
  redisSkip,
  startIngest,
} from './ingest-harness.js';

/** The value of one sample of the Prometheus text, matched by name and labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    if (Object.entries(labels).every(([key, value]) => match[2]?.includes(`${key}="${value}"`)))
      return Number(match[3]);
  }
  return undefined;
}

/** A started ingest: its blocks URL and its ops URL. */
async function startedIngest(t: TestContext, env: Env = {}) {
  const ingest = await startIngest(t, env);
  const { url, opsPort } = await ingest.app.start();
  return { ingest, url, opsUrl: `http://127.0.0.1:${opsPort}` };
}

describe('the ops port with Redis up', { skip: redisSkip }, () => {
  test('/healthz and /readyz answer 200 on the ops port, without credentials', async (t) => {
    const { url, opsUrl } = await startedIngest(t);
    assert.notEqual(opsUrl, url);
    const health = await fetch(`${opsUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${opsUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
  });

  test('the blocks port serves no ops routes: 404 pointing at INGEST_OPS_PORT', async (t) => {
    const { url } = await startedIngest(t);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 404, path);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, 'NOT_FOUND');
      assert.match(body.message, /ops port \(INGEST_OPS_PORT/);
    }
  });

  test('/metrics counts every block, transaction, refusal and append exactly as they happened', async (t) => {
    let failNext = false;
    const ingest = await startIngest(
      t,
      {},
      {
        // An append the log does not confirm: 503 unavailable, nothing written.
        wrapLog: (log) =>
          wrapAppend(log, (block) => {
            if (!failNext) return log.append(block);
            failNext = false;
            return Promise.reject(new Error('Connection is closed.'));
          }),
      },
    );
    const { opsPort } = await ingest.app.start();

    // A model of the log, independent of ingest: what each post must have done.
    const stored: CommittedBlock[] = [];
    const blocks = { appended: 0, duplicate: 0, refused: 0, unavailable: 0 };
    const transactions = { appended: 0, duplicate: 0, refused: 0, unavailable: 0 };
    const refusals: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    let appends = 0;
    const refuse = (code: string) => {
      blocks.refused++;
      refusals[code] = (refusals[code] ?? 0) + 1;
    };
    const kinds = [
      'next',
      'next',
      'next',
      'duplicate',
      'gap',
      'conflict',
      'junk',
      'anonymous',
      'unavailable',
    ];
    for (let i = 0; i < 90; i++) {
      const kind = stored.length === 0 ? 'next' : kinds[(i * 7 + (i % 5)) % kinds.length]!;
      const size = (i % 4) + 1;
      let response: Awaited<ReturnType<IngestHarness['post']>>;
      if (kind === 'next' || kind === 'unavailable') {
        const block = makeBlock(stored.length + 1, size);
        failNext = kind === 'unavailable';
        response = await ingest.post(block);
        appends++;
        if (kind === 'next') {
          stored.push(block);
          blocks.appended++;
          transactions.appended += size;
        } else {
          blocks.unavailable++;
          transactions.unavailable += size;
        }
      } else if (kind === 'duplicate') {
        const block = stored[i % stored.length]!;
        response = await ingest.post(block);
        appends++;
        blocks.duplicate++;
        transactions.duplicate += block.transactions.length;
      } else if (kind === 'gap' || kind === 'conflict') {
        const height = kind === 'gap' ? stored.length + 2 : (i % stored.length) + 1;
        response = await ingest.post(makeBlock(height, size));
        appends++;
        refuse(kind === 'gap' ? 'HEIGHT_GAP' : 'HEIGHT_CONFLICT');
        transactions.refused += size;
      } else if (kind === 'junk') {
        response = await ingest.post('{"height": ');
        refuse('INVALID_JSON');
      } else {
        response = await ingest.post(makeBlock(stored.length + 1, size), {
          'content-type': 'application/json',
        });
        refuse('UNAUTHORIZED');
      }
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    }
    assert.ok(
      Object.values(blocks).every((count) => count > 0),
      `every result happened: ${JSON.stringify(blocks)}`,
    );
    assert.equal(await ingest.inspector.xlen(ingest.key), stored.length);

    const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const [result, count] of Object.entries(blocks)) {
      assert.equal(sample(text, 'blockcast_ingest_blocks_total', { result }), count, `blocks ${result}`);
    }
    for (const [result, count] of Object.entries(transactions)) {
      assert.equal(
        sample(text, 'blockcast_ingest_transactions_total', { result }),
        count,
        `transactions ${result}`,
      );
    }
    for (const [code, count] of Object.entries(refusals)) {
      assert.equal(sample(text, 'blockcast_ingest_refusals_total', { code }), count, `refusals ${code}`);
    }
    assert.equal(sample(text, 'blockcast_ingest_conflicts_total'), refusals.HEIGHT_CONFLICT ?? 0);
    assert.equal(sample(text, 'blockcast_ingest_last_appended_height'), stored.length);
    assert.equal(sample(text, 'blockcast_ingest_append_duration_seconds_count'), appends);
    for (const [status, count] of Object.entries(statuses)) {
      assert.equal(
        sample(text, 'blockcast_ingest_request_duration_seconds_count', { status }),
        count,
        `status ${status}`,
      );
    }
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.equal(sample(text, 'blockcast_build_info', { service: 'ingest', version }), 1);
    assert.ok(
      sample(text, 'blockcast_ingest_process_cpu_seconds_total') !== undefined,
      'default metrics are on',
    );
  });

  test('an unknown route is a 404 JSON error pointing at the blocks route', async (t) => {
    const ingest = await startIngest(t);
    const error = assertError(await ingest.app.fastify.inject('/api/v1/block'), 404, 'NOT_FOUND');
    assert.match(error.message as string, /POST \/api\/v1\/blocks/);
  });
});

describe('with the event log unreachable', () => {
  /** Nothing listens on the Redis port; appends give up after 300 ms. */
  async function unreachable(t: TestContext) {
    const ingest = await startIngest(t, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_COMMAND_TIMEOUT_MS: '300',
    });
    const { opsPort } = await ingest.app.start();
    return { ingest, opsUrl: `http://127.0.0.1:${opsPort}` };
  }

  test('/readyz is 503 naming the event log while /healthz stays 200', async (t) => {
    const { opsUrl } = await unreachable(t);
    assert.equal((await fetch(`${opsUrl}/healthz`)).status, 200);
    const ready = await fetch(`${opsUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      status: 'not ready',
      reason: 'the event log (Redis) does not answer',
    });
  });

  test('a valid block is 503 LOG_UNAVAILABLE with Retry-After', async (t) => {
    const { ingest } = await unreachable(t);
    const response = await ingest.post(makeBlock(1, 1));
    assertError(response, 503, 'LOG_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '1');
  });
});

describe('a 503 whose append reached Redis but whose reply was lost', { skip: redisSkip }, () => {
  test('says the block may or may not have been appended, and the resend answers 200 duplicate', async (t) => {
    let loseReplies = true;
    const ingest = await startIngest(
      t,
      {},
      {
        wrapLog: (log) =>
          wrapAppend(log, async (block) => {
            const result = await log.append(block);
            if (loseReplies) throw new Error('Connection is closed.');
            return result;
          }),
      },
    );
    const block = makeBlock(1, 2);
    const first = await ingest.post(block);
    const error = assertError(first, 503, 'LOG_UNAVAILABLE');
    const message = error.message as string;
    assert.match(message, /may or may not have been appended/);
    assert.match(message, /resend the same block/);
    assert.match(message, /200 \(duplicate\)/);
    assert.doesNotMatch(message, /nothing (was|has been) written/i);
    // The claim the old message made ("nothing was written") would have been false here.
    assert.equal((await ingest.entries()).length, 1);

    loseReplies = false;
    const resend = await ingest.post(block);
    assert.equal(resend.statusCode, 200, resend.body);
    assert.equal(resend.json().status, 'duplicate');
    assert.equal((await ingest.entries()).length, 1);
  });
});

describe('start()', { skip: redisSkip }, () => {
  test('an ops port already taken fails start() and leaves the blocks port closed', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const taken = (blocker.address() as AddressInfo).port;
    const port = await freePort();
    const ingest = await startIngest(t, { INGEST_PORT: String(port), INGEST_OPS_PORT: String(taken) });
    await assert.rejects(ingest.app.start(), { code: 'EADDRINUSE' });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/api/v1/blocks`), /fetch failed/);
  });
});

describe('close()', { skip: redisSkip }, () => {
  test('/readyz turns 503 at once, an in-flight append finishes and answers, then both ports close', async (t) => {
    let appendStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      appendStarted = resolve;
    });
    const ingest = await startIngest(
      t,
      {},
      { wrapLog: (log) => slowAppends(log, 300, () => appendStarted()) },
    );
    const { url, opsPort } = await ingest.app.start();
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    const post = () =>
      fetch(`${url}/api/v1/blocks`, {
        method: 'POST',
        headers: JSON_WITH_TOKEN,
        body: JSON.stringify(makeBlock(1, 2)),
      });
    assert.equal((await fetch(`${opsUrl}/readyz`)).status, 200);
    const inFlight = post();
    await started;
    const closed = ingest.app.close();
    const ready = await fetch(`${opsUrl}/readyz`);
    assert.equal(ready.status, 503, 'draining: the load balancer takes this instance out');
    assert.deepEqual(await ready.json(), { status: 'not ready', reason: 'draining' });
    const response = await inFlight;
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('connection'), 'close', 'the keep-alive client is told to hang up');
    const answered = performance.now();
    await closed;
    assert.ok(
      performance.now() - answered < 1000,
      `close() took ${Math.round(performance.now() - answered)} ms more`,
    );
    assert.equal(await ingest.inspector.xlen(ingest.key), 1);
    await assert.rejects(post(), /fetch failed/);
    await assert.rejects(fetch(`${opsUrl}/healthz`), /fetch failed/);
  });
});

describe('close() with an append that outlasts INGEST_SHUTDOWN_GRACE_MS', { skip: redisSkip }, () => {
  test('the request is cut at the grace and close() ends then, not when the append would', async (t) => {
    let appending: () => void = () => {};
    const appendStarted = new Promise<void>((resolve) => {
      appending = resolve;
    });
    const ingest = await startIngest(
      t,
      { INGEST_SHUTDOWN_GRACE_MS: '300' },
      { wrapLog: (log) => slowAppends(log, 5000, () => appending()) },
    );
    const { url } = await ingest.app.start();
    const post = fetch(`${url}/api/v1/blocks`, {
      method: 'POST',
      headers: JSON_WITH_TOKEN,
      body: JSON.stringify(makeBlock(1, 1)),
    });
    post.catch(() => {});
    await appendStarted;
    const started = performance.now();
    await ingest.app.close();
    const took = performance.now() - started;
    assert.ok(took >= 250 && took < 300 + 1000, `close() took ${Math.round(took)} ms for a 300 ms grace`);
    await assert.rejects(post, /fetch failed/);
  });
});

/** `log` with its append replaced. */
function wrapAppend(log: EventLog, append: EventLog['append']): EventLog {
  return {
    append,
    epoch: () => log.epoch(),
    emit: (request) => log.emit(request),
    readEntries: (after, limit) => log.readEntries(after, limit),
    tailEntries: (options) => log.tailEntries(options),
    bounds: () => log.bounds(),
    ping: () => log.ping(),
    close: () => log.close(),
  };
}

/** Appends that take `ms` longer, announcing when one starts. */
function slowAppends(log: EventLog, ms: number, onStart: () => void): EventLog {
  return wrapAppend(log, async (block) => {
    onStart();
    await delay(ms);
    return log.append(block);
  });
}
