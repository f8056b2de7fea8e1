import { type Logger, sleep } from '@blockcast/common';
import { AppendRefusedError, type EventLog } from '@blockcast/event-log';
import { cappedBackoff, normaliseBlock } from '@blockcast/protocol';
import type { Registry } from 'prom-client';
import type { AppendQueue } from '../append-queue.js';
import type { IngestMetrics } from '../metrics.js';
import { CometRpc } from './cometbft-rpc.js';
import { committedBlockFromRpc } from './committed-block-from-rpc.js';
import type { FollowerConfig } from './follower-config.js';
import { FollowerMetrics } from './follower-metrics.js';
import { NewBlockWakeups } from './new-block-wakeups.js';

export interface ChainFollowerOptions {
  config: FollowerConfig;
  /** Where the follower finds the height to continue from. */
  log: Pick<EventLog, 'bounds'>;
  /** The same append path as POST /api/v1/blocks. */
  queue: AppendQueue;
  metrics: IngestMetrics;
  registry: Registry;
  logger: Logger;
  /** Blocks the bus keeps: on an empty bus the follower starts no further back than this below the node's top. */
  retainBlocks: number;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * Pull instead of push (SOURCE=cometbft): follows a CometBFT/Tendermint node from the height after
 * the last one on the bus, fetching every height over RPC (`/block`, `/block_results`) and
 * appending it through ingest's append queue. The position is always the bus itself, so a
 * restart, a node that went away or a lost NewBlock event only delays blocks, never skips one:
 * after any failure the follower looks up the bus again and backfills from there.
 */
export class ChainFollower {
  readonly #options: ChainFollowerOptions;
  readonly #rpc: CometRpc;
  readonly #metrics: FollowerMetrics;
  readonly #wakeups: NewBlockWakeups | undefined;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #problem: string | undefined = 'not started';

  constructor(options: ChainFollowerOptions) {
    this.#options = options;
    this.#rpc = new CometRpc(options.config.rpcUrl, options.config.rpcTimeoutMs, this.#stop.signal);
    this.#metrics = new FollowerMetrics(options.registry);
    this.#wakeups = options.config.subscribe
      ? new NewBlockWakeups(options.config.rpcUrl, (error) =>
          options.logger.debug({ err: error }, 'NewBlock subscription error; polling meanwhile'),
        )
      : undefined;
  }

  /** Why the last round failed (for /readyz), or undefined while following. */
  get problem(): string | undefined {
    return this.#problem;
  }

  start(): void {
    const signal = this.#stop.signal;
    this.#running ??= Promise.all([this.#follow(signal), this.#wakeups?.run(signal)]).then(() => {});
  }

  /** Stops after the append in hand (if any) has been answered. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #follow(signal: AbortSignal): Promise<void> {
    const { logger, config } = this.#options;
    let next: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        next ??= await this.#heightToContinueFrom();
        const latest = await this.#latestHeight();
        while (next <= latest && !signal.aborted) {
          await this.#appendHeight(next);
          next++;
        }
        this.#problem = undefined;
        failures = 0;
        await (this.#wakeups?.wait(config.pollMs, signal) ?? sleep(config.pollMs, signal));
      } catch (error) {
        if (signal.aborted) return;
        const stage = error instanceof AppendRefusedError || error instanceof BusError ? 'append' : 'rpc';
        this.#metrics.errors.inc({ stage });
        this.#problem = `${stage === 'rpc' ? 'CometBFT RPC' : 'event log'}: ${error instanceof Error ? error.message : String(error)}`;
        logger.warn(
          { err: error, height: next, stage },
          'follower round failed; backfilling from the bus after a pause',
        );
        // Whatever happened (another appender, a refused block), the bus says where to go on.
        next = undefined;
        failures++;
        await sleep(cappedBackoff(failures, config.pollMs, MAX_BACKOFF_MS), signal);
      }
    }
  }

  /** The height after the bus's last block; on an empty bus the node's oldest block still worth keeping. */
  async #heightToContinueFrom(): Promise<number> {
    let bounds: Awaited<ReturnType<EventLog['bounds']>>;
    try {
      bounds = await this.#options.log.bounds();
    } catch (error) {
      throw new BusError(error);
    }
    if (bounds !== null) {
      this.#metrics.followedHeight.set(bounds.last);
      return bounds.last + 1;
    }
    const status = await this.#rpc.status();
    const earliest = Number(status.sync_info.earliest_block_height ?? 1);
    const latest = Number(status.sync_info.latest_block_height);
    return Math.max(1, earliest, latest - this.#options.retainBlocks + 1);
  }

  async #latestHeight(): Promise<number> {
    const status = await this.#rpc.status();
    const latest = Number(status.sync_info.latest_block_height);
    this.#metrics.nodeHeight.set(latest);
    return latest;
  }

  async #appendHeight(height: number): Promise<void> {
    const [block, results] = await Promise.all([this.#rpc.block(height), this.#rpc.blockResults(height)]);
    const decoded = committedBlockFromRpc(block, results);
    if (decoded.skipped.length > 0) {
      this.#metrics.skippedTransactions.inc(decoded.skipped.length);
      this.#options.logger.warn(
        { height, skipped: decoded.skipped },
        'committed transactions that are not BigchainDB JSON left out',
      );
    }
    const event = normaliseBlock(decoded.block, Date.now());
    let result: Awaited<ReturnType<AppendQueue['append']>>;
    try {
      result = await this.#options.queue.append(event);
    } catch (error) {
      if (!(error instanceof AppendRefusedError)) throw new BusError(error);
      // Counted like a refused POST, so the conflict alert on ingest covers the follower too.
      this.#options.metrics.failed(error.code);
      this.#options.metrics.notAppended(event, 'refused');
      throw error;
    }
    if (result.status === 'appended') this.#options.metrics.appended(event);
    else this.#options.metrics.duplicate(event);
    this.#metrics.followedHeight.set(height);
  }
}

/** The event log failed (not the node): counted under stage "append". */
class BusError extends Error {
  override name = 'BusError';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
