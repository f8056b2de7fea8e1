/**
 * The clients of a fault scenario: a hundred or more resuming clients spread over the gateways,
 * half on valid_blocks and half on valid_transactions, with the measurements the scenarios
 * report — time to recover, completion, and the verifier's counts against the event log.
 */
import { waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { type DeliveryCheck, type FinalLog, sumChecks, verifyDelivery } from './delivery-verifier.js';
import { expectedValidBlocks, expectedValidTransactions } from './expected-frames.js';
import { type ResumableStream, ResumingClient, type ResumingClientOptions } from './resuming-client.js';

export type ClientTuning = Pick<ResumingClientOptions, 'pingIntervalMs' | 'silenceTimeoutMs'>;

export class ChaosClients {
  readonly clients: ResumingClient[];

  private constructor(clients: ResumingClient[]) {
    this.clients = clients;
  }

  /** `count` clients, client i on gateway i mod n, each from since=0 in `epoch` (read before connecting). */
  static async connect(
    gateways: readonly string[],
    count: number,
    epoch: string,
    tuning: ClientTuning = {},
  ): Promise<ChaosClients> {
    const clients = Array.from(
      { length: count },
      (_, i) =>
        new ResumingClient({
          gateways,
          first: i,
          stream: i % 2 === 0 ? 'valid_blocks' : 'valid_transactions',
          epoch,
          ...tuning,
        }),
    );
    await Promise.all(clients.map((client) => client.start()));
    return new ChaosClients(clients);
  }

  /** One more client from since=0 in `epoch`, only on `gateway`: whatever it missed must come from history. */
  async addOn(
    gateway: string,
    stream: ResumableStream,
    epoch: string,
    tuning: ClientTuning = {},
  ): Promise<ResumingClient> {
    const client = new ResumingClient({ gateways: [gateway], stream, epoch, ...tuning });
    await client.start();
    this.clients.push(client);
    return client;
  }

  /** Clients that started on gateway `index` of `gateways`. */
  startedOn(index: number, gateways: number): ResumingClient[] {
    return this.clients.filter((_, i) => i % gateways === index);
  }

  /** Milliseconds from `since` until every client has delivered a height above `height`. */
  async recoveredAfter(height: number, since: number, timeoutMs: number): Promise<number> {
    await waitUntil(
      () => this.clients.every((client) => (client.lastHeight ?? 0) > height),
      timeoutMs,
      `every client past height ${height} (${this.clients.filter((client) => (client.lastHeight ?? 0) > height).length} of ${this.clients.length})`,
      50,
    );
    return Date.now() - since;
  }

  /** Waits until every client holds the last frame of block `height` in its current segment. */
  async complete(
    chain: ReadonlyMap<number, CommittedBlock>,
    height: number,
    timeoutMs: number,
  ): Promise<void> {
    const block = chain.get(height)!;
    const last = (stream: ResumableStream) => framesOf(stream, block).at(-1);
    const done = (client: ResumingClient) => client.current.frames.at(-1) === last(client.stream);
    await waitUntil(
      () => this.clients.every(done),
      timeoutMs,
      `every client complete through ${height} (${this.clients.filter(done).length} of ${this.clients.length})`,
      50,
    );
  }

  /**
   * The verifier over every client; the blocks are the chain as sent (or, when the stream was
   * replaced, the chain of each segment's epoch), the bounds the log's.
   */
  verify(
    chain:
      | ReadonlyMap<number, CommittedBlock>
      | ((epoch: string | undefined) => ReadonlyMap<number, CommittedBlock>),
    log: FinalLog,
  ): DeliveryCheck {
    const chainOf = typeof chain === 'function' ? chain : () => chain;
    return sumChecks(
      this.clients.map((client) =>
        verifyDelivery(
          client.segments,
          (height, segment) => {
            const block = chainOf(segment.epoch).get(height);
            return block === undefined ? undefined : framesOf(client.stream, block);
          },
          log,
        ),
      ),
    );
  }

  /** Clients whose history was declared changed (4011, 409, 410) at least once. */
  resynchronised(): number {
    return this.clients.filter((client) => client.segments.length > 1).length;
  }

  /** How many later segments each signal started, over every client. */
  signals(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const client of this.clients)
      for (const segment of client.segments.slice(1))
        counts[segment.startedBy] = (counts[segment.startedBy] ?? 0) + 1;
    return counts;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.stop()));
  }
}

function framesOf(stream: ResumableStream, block: CommittedBlock): string[] {
  return stream === 'valid_blocks'
    ? expectedValidBlocks([block])
    : expectedValidTransactions([block], 'bigchaindb');
}
