/**
 * REDIS_WAIT_REPLICAS: an append is reported only once replicas hold it, on a real master and
 * replica (two redis-server processes), so an acknowledged block survives a failover.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent, uniquePrefix, waitUntil } from '@blockcast/devkit';
import { NotReplicatedError, RedisStreamLog } from '@blockcast/event-log';
import { Redis } from 'ioredis';
import { startReplicaPair } from '../support/redis-replica-pair.js';
import { redisServerOrSkip } from '../support/test-dependencies.js';

const { skip } = redisServerOrSkip();

/**
 * Two logs on one stream: a patient one for the writes that must succeed on a busy machine, a
 * strict one (300 ms WAIT) for the write the stopped replica cannot confirm.
 */
function patientAndStrict(client: Redis, prefix: string) {
  const log = new RedisStreamLog({ redis: client, prefix, replicaAcks: { replicas: 1, timeoutMs: 10_000 } });
  const strict = new RedisStreamLog({ redis: client, prefix, replicaAcks: { replicas: 1, timeoutMs: 300 } });
  return { log, strict };
}

describe('appends acknowledged by replicas (WAIT)', { skip }, () => {
  test('an append with replicaAcks 1 answers once the replica holds it', async (t) => {
    const { replica, client } = await startReplicaPair(t);
    const log = new RedisStreamLog({
      redis: client,
      prefix: uniquePrefix('wait'),
      replicaAcks: { replicas: 1, timeoutMs: 10_000 },
    });
    const result = await log.append(makeBlockEvent(1, 2));
    assert.equal(result.status, 'appended');
    const onReplica = new Redis(replica.url);
    t.after(async () => void onReplica.disconnect());
    assert.equal(await onReplica.xlen(log.key), 1, 'the replica has the block when the append answers');
  });

  test('a replica that does not confirm turns the append into NotReplicatedError within the timeout; the resend is a duplicate', async (t) => {
    const { replica, client } = await startReplicaPair(t);
    const { log, strict } = patientAndStrict(client, uniquePrefix('wait'));
    await log.append(makeBlockEvent(1, 1));
    const block = makeBlockEvent(2, 1);
    process.kill(replica.pid, 'SIGSTOP');
    const started = performance.now();
    const refusal = await strict.append(block).then(
      () => 'reported although no replica confirmed it',
      (error: unknown) => error,
    );
    const elapsed = performance.now() - started;
    process.kill(replica.pid, 'SIGCONT');
    assert.ok(refusal instanceof NotReplicatedError, `got ${String(refusal)}`);
    assert.deepEqual([refusal.required, refusal.acknowledged], [1, 0]);
    assert.ok(elapsed < 300 + 1000, `answered after ${Math.round(elapsed)} ms, the WAIT timeout is 300 ms`);
    // The block is on the master; once the replica is back, resending it is an acknowledged duplicate.
    let resend: string | undefined;
    await waitUntil(
      async () => {
        resend = await log.append(block).then(
          (result) => result.status,
          () => undefined,
        );
        return resend !== undefined;
      },
      10_000,
      'a resend acknowledged once the replica runs again',
    );
    assert.equal(resend, 'duplicate');
  });

  test('an emit the stopped replica cannot confirm is NotReplicatedError; resent with its idempotency key it is a duplicate at the same position', async (t) => {
    const { replica, client } = await startReplicaPair(t);
    const { log, strict } = patientAndStrict(client, uniquePrefix('wait-emit'));
    await log.append(makeBlockEvent(1, 1));
    const request = {
      type: 'NODE_STATUS' as const,
      content: { node_id: 'n1', status: 'up' },
      emittedAt: Date.now(),
      idempotencyKey: 'status-1',
    };
    process.kill(replica.pid, 'SIGSTOP');
    const refusal = await strict.emit(request).then(
      () => 'reported although no replica confirmed it',
      (error: unknown) => error,
    );
    process.kill(replica.pid, 'SIGCONT');
    assert.ok(refusal instanceof NotReplicatedError, `got ${String(refusal)}`);
    const resent = await log.emit(request);
    assert.equal(resent.status, 'duplicate');
    assert.deepEqual([resent.event.height, resent.event.seq], [1, 1]);
  });

  test('replicaAcks with a zero timeout is refused: WAIT 0 would block forever', () => {
    const client = new Redis({ lazyConnect: true });
    assert.throws(
      () => new RedisStreamLog({ redis: client, replicaAcks: { replicas: 1, timeoutMs: 0 } }),
      /timeoutMs must be an integer >= 1/,
    );
    client.disconnect();
  });
});
