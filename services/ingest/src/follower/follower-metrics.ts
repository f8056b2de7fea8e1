import { Counter, Gauge, type Registry } from 'prom-client';

/** The chain follower's own metrics, beside ingest's block counters (which count its appends too). */
export class FollowerMetrics {
  readonly nodeHeight: Gauge;
  readonly followedHeight: Gauge;
  readonly errors: Counter<'stage'>;
  readonly skippedTransactions: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.nodeHeight = new Gauge({
      name: 'blockcast_ingest_follower_node_height',
      help: 'Latest block height the followed CometBFT node reported.',
      registers,
    });
    this.followedHeight = new Gauge({
      name: 'blockcast_ingest_follower_height',
      help: 'Last height the follower has on the bus (appended or found there); node_height minus this is the lag.',
      registers,
    });
    this.errors = new Counter({
      name: 'blockcast_ingest_follower_errors_total',
      help: 'Follower rounds that failed and were retried, by stage: rpc (the node), append (the bus).',
      labelNames: ['stage'],
      registers,
    });
    this.skippedTransactions = new Counter({
      name: 'blockcast_ingest_follower_skipped_transactions_total',
      help: 'Committed transactions that are not BigchainDB transaction JSON or hold a number that cannot be kept exactly, left out of their block.',
      registers,
    });
  }
}
