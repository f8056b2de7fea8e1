/** A real master and replica (two redis-server processes), replicating before this resolves. */
import { startRedisServer, waitUntil } from '@blockcast/devkit';
import { Redis } from 'ioredis';

export interface ReplicaPair {
  master: Awaited<ReturnType<typeof startRedisServer>>;
  replica: Awaited<ReturnType<typeof startRedisServer>>;
  /** A client of the master, disconnected after the test. */
  client: Redis;
}

export async function startReplicaPair(t: { after(fn: () => Promise<void>): void }): Promise<ReplicaPair> {
  // No 5 s wait for more replicas before the initial sync (Redis 7's diskless default).
  const master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  t.after(async () => {
    await replica.stop();
    await master.stop();
  });
  const client = new Redis(master.url, { maxRetriesPerRequest: 1 });
  t.after(async () => void client.disconnect());
  await waitUntil(
    // Acknowledging: the initial sync is done and loaded, so WAIT counts it.
    async () => (await client.wait(1, 100)) === 1,
    30_000,
    'the replica connected',
  );
  return { master, replica, client };
}
