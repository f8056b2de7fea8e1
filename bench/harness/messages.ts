/** IPC messages between a bench driver, its load generators (bench/loadgen/) and the baseline servers (bench/servers/). */

/** raw / ws: blockcast's protocol (and the baselines'); the peers' own over the raw client. */
export type ClientKind = 'raw' | 'ws' | 'centrifugo' | 'socketio';

/** Driver → load generator. */
export type GeneratorCommand =
  | {
      type: 'connect';
      /** ws://host:port/path for each server port; client i uses urls[i % urls.length]. */
      urls: string[];
      count: number;
      /** Source addresses; client i binds localAddresses[i % length]. */
      localAddresses: string[];
      concurrency: number;
      clientKind: ClientKind;
      txPerBlock: number;
      /** Heights 1..lastHeight will be sent; heights <= warmupHeights are not timed. */
      lastHeight: number;
      warmupHeights: number;
      /** Clients resume after this height (their URLs carry `since`): their first frame is since + 1. */
      since?: number;
      /** Heights at which a new latency phase begins: histograms[i] holds heights from phaseStarts[i - 1]. */
      phaseStarts?: number[];
      /** Also keep a histogram per height (report.blockHistograms): percentiles block by block. */
      blockLatency?: boolean;
    }
  | { type: 'sent'; height: number; atMs: number }
  | { type: 'progress' }
  | { type: 'report' }
  /** Stops reading on every `every`-th client (index 0, every, 2·every, …); their latency is not recorded. */
  | { type: 'pause'; every: number }
  | { type: 'resume' }
  /** Cuts every client's connection (no close frame) and forgets them: the next report counts new ones. */
  | { type: 'drop' }
  | { type: 'close' };

export interface GeneratorReport {
  type: 'report';
  clients: number;
  open: number;
  frames: number;
  /** Clients that got exactly heights 1..lastHeight with txPerBlock frames each, in order. */
  complete: number;
  /** Clients with any gap, reordering, duplicate or short block. */
  orderErrors: number;
  /** Clients whose last height was short of lastHeight (frames missing at the end). */
  incomplete: number;
  closedByServer: number;
  lastHeightMin: number;
  lastHeightMax: number;
  /** Monotonic ms of the last frame this process received. */
  lastArrivalMs: number;
  /** Per height: latency of the first frame of that height in this process (NaN for warm-up heights). */
  firstLatencyMs: number[];
  /** Latency histogram (µs) in HdrHistogram's compressed base64 form. */
  histogram: string;
  /** The same, one per phase (see phaseStarts); only clients that were never paused. */
  phaseHistograms: string[];
  /** By height, when asked for (blockLatency); empty otherwise. */
  blockHistograms: Record<number, string>;
  /** Clients that were paused at some point, and how their deliveries went. */
  paused: { clients: number; complete: number; orderErrors: number; closedByServer: number };
  /** Frames of announced heights that never came, frames beyond their height's share, frames after a later height. */
  lost: number;
  duplicated: number;
  reordered: number;
  /** Resuming clients that asked a peer for recovery, and those it said it recovered. */
  recovery: { asked: number; recovered: number };
  /** A few examples of what went wrong, for the log. */
  problems: string[];
  cpuSeconds: number;
}

/** Load generator → driver. */
export type GeneratorMessage =
  | { type: 'connected'; open: number; failed: number; errors: string[]; seconds: number }
  | {
      type: 'progress';
      frames: number;
      /** Lowest height every open client holds completely (all its frames). */
      settledHeightMin: number;
      open: number;
    }
  | GeneratorReport;

/** Driver → baseline server: one block's frames, already serialised, published in order. */
export interface BaselineBlock {
  type: 'block';
  height: number;
  frames: string[];
}

/** Baseline server → driver. */
export type BaselineMessage = { type: 'listening'; port: number };
