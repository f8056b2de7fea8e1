import type { Redis } from 'ioredis';

/**
 * How many replicas must hold a write before the log reports it: Redis replicates
 * asynchronously, so without this an acknowledged append can vanish in a failover (the promoted
 * replica never got it, or the old master took it after the promotion and is then demoted).
 */
export interface ReplicaAcks {
  replicas: number;
  /** WAIT's timeout: fewer replicas by then is a {@link NotReplicatedError}. */
  timeoutMs: number;
}

/**
 * The write is on the master but fewer than `required` replicas confirmed it in time: it may
 * or may not survive a failover, so the caller must not report it as done. Resending is safe
 * (a block already in the log is an idempotent duplicate).
 */
export class NotReplicatedError extends Error {
  constructor(
    readonly required: number,
    readonly acknowledged: number,
  ) {
    super(`the write reached ${acknowledged} of the ${required} replicas required in time`);
    this.name = 'NotReplicatedError';
  }
}

/** WAIT on the connection that wrote: it covers every write this connection made before it. */
export async function waitForReplicas(redis: Redis, acks: ReplicaAcks | undefined): Promise<void> {
  if (acks === undefined || acks.replicas === 0) return;
  const acknowledged = await redis.wait(acks.replicas, acks.timeoutMs);
  if (acknowledged < acks.replicas) throw new NotReplicatedError(acks.replicas, acknowledged);
}

export function assertReplicaAcks(acks: ReplicaAcks | undefined): void {
  if (acks === undefined) return;
  if (!Number.isSafeInteger(acks.replicas) || acks.replicas < 0) {
    throw new RangeError(`replicas must be an integer >= 0, got ${acks.replicas}`);
  }
  // WAIT 0 would block forever: a timeout is what turns a lost replica into an answer.
  if (!Number.isSafeInteger(acks.timeoutMs) || acks.timeoutMs < 1) {
    throw new RangeError(`timeoutMs must be an integer >= 1, got ${acks.timeoutMs}`);
  }
}
