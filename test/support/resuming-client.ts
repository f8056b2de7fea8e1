/**
 * The resuming test client: a WebSocket client that follows the resume rule of docs/protocol.md.
 * It starts from `since` in the epoch read from the catalog (or learns it from the first 101
 * answer's X-Blockcast-Epoch) and sends it with every `since`; after a blockcast close it reconnects with the `since`/`epoch` of the close reason; after a cut
 * without one (1006, its own ping timeout) with the last height − 1, dropping the frames of that
 * block it already has (on `events`, after a generic event: its own position, exact); after a reset (4011, 409 EPOCH_MISMATCH, 410 HISTORY_GONE) it starts a
 * new segment from the position the signal names. Given gateways, every attempt moves to the next
 * one (the fault scenarios); given one stream URL, it stays on it (e.g. behind a load balancer).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { EPOCH_HEADER, formatPosition, type Position, positionIn } from '@blockcast/protocol';
import WebSocket from 'ws';
import type { ClosedWith } from './ws-client.js';

export type ResumableStream = 'valid_blocks' | 'valid_transactions' | 'events';

/** One unbroken run of the sequence: everything after `since` (and `sinceSeq`) in `epoch`, as delivered. */
export interface DeliverySegment {
  since: number;
  /** On `events`, after the generic event `since`-`sinceSeq`; 0 otherwise. */
  sinceSeq?: number;
  epoch: string | undefined;
  /** The signal that started it: 'start', or the close code / refusal code. */
  startedBy: string;
  frames: string[];
}

/** What happened to each connection, for the report and for the scenario's assertions. */
export interface ConnectionEvent {
  at: number;
  gateway: string;
  /** Close code, HTTP refusal code, 'ping-timeout' or a transport error. */
  what: string;
  detail: string;
}

/** Where it connects: gateways it rotates over, or one stream URL (with any query of its own). */
export type ResumingClientTarget =
  | {
      /** Gateway base URLs (`ws://127.0.0.1:port`); the client starts at `first` and rotates on failure. */
      gateways: readonly string[];
      first?: number;
      stream: ResumableStream;
    }
  | {
      /** `ws://host:port/api/v1/streams/<stream>` plus any query (without since/epoch). */
      url: string;
    };

export type ResumingClientOptions = ResumingClientTarget & {
  /** Where the first connection starts (default 0; `H-S` on events) and the epoch it belongs to (the catalog's). */
  since?: number | Position;
  epoch?: string;
  /** RFC 6455 ping every this many ms (0: none); the gateway's own idle timeout is far longer. */
  pingIntervalMs?: number;
  /** Nothing heard for this long: the connection is dead (a stopped peer never closes it). */
  silenceTimeoutMs?: number;
  handshakeTimeoutMs?: number;
};

/** Close codes after which the old position means nothing: a new segment starts (docs/protocol.md). */
const RESET_CLOSE = 4011;
const HISTORY_GONE_CLOSE = 4010;

export class ResumingClient {
  readonly segments: DeliverySegment[] = [];
  readonly events: ConnectionEvent[] = [];
  /** Every close of a connection that had opened, in order (code 1006: cut without a close frame). */
  readonly closes: ClosedWith[] = [];
  /** Connection attempts that did not open (refused upgrade, refused or reset TCP). */
  failedAttempts = 0;
  /** Frames dropped by the rule after a cut (already had before it): counted, not delivered. */
  droppedRepeats = 0;
  readonly #options: { pingIntervalMs: number; silenceTimeoutMs: number; handshakeTimeoutMs: number };
  readonly #stream: ResumableStream;
  /** Stream URLs without since/epoch, one per gateway, and the names events give them. */
  #urls: readonly string[];
  #names: readonly string[];
  #gateway: number;
  #since: Position = { height: 0, seq: 0 };
  #epoch: string | undefined;
  #lastHeight: number | undefined;
  /** On events: the last frame was the generic event at this position (resuming after it is exact). */
  #lastEvent: Position | undefined;
  /** Keys of the frames of block `#lastHeight` delivered so far (transaction id, the height, type and height, or height and seq). */
  #lastBlockKeys = new Set<string>();
  /** After a cut: the block that may arrive again in part, and must be de-duplicated. */
  #repeatHeight: number | undefined;
  #socket: WebSocket | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  #onFrame: (() => void) | undefined;
  #moveAt: { frames: number; url: string } | undefined;

  constructor(options: ResumingClientOptions) {
    this.#options = {
      pingIntervalMs: options.pingIntervalMs ?? ('url' in options ? 0 : 1000),
      silenceTimeoutMs: options.silenceTimeoutMs ?? 4000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 3000,
    };
    if ('url' in options) {
      this.#urls = [options.url];
      this.#names = this.#urls;
      this.#stream = new URL(options.url).pathname.split('/').at(-1) as ResumableStream;
      this.#gateway = 0;
    } else {
      this.#urls = options.gateways.map((gateway) => `${gateway}/api/v1/streams/${options.stream}`);
      this.#names = options.gateways;
      this.#stream = options.stream;
      this.#gateway = (options.first ?? 0) % options.gateways.length;
    }
    const since = options.since ?? 0;
    this.#since = typeof since === 'number' ? { height: since, seq: 0 } : since;
    this.#epoch = options.epoch;
    this.segments.push({ ...segmentStart(this.#since), epoch: this.#epoch, startedBy: 'start', frames: [] });
  }

  get stream(): ResumableStream {
    return this.#stream;
  }

  /** Every frame delivered, in every segment, in order; no "pong". */
  get frames(): string[] {
    return this.segments.flatMap((segment) => segment.frames);
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves when `count` frames are held and a ping/pong round trip proves nothing more was queued. */
  async settle(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.length >= count && this.connected) {
        const before = this.frames.length;
        if ((await this.#pong(Math.max(0, deadline - Date.now()))) && this.frames.length === before) return;
      } else {
        await this.#nextFrame(Math.max(0, deadline - Date.now()));
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.frames.length} of ${count} frames within ${timeoutMs} ms (connected: ${this.connected}, ` +
            `closes: ${JSON.stringify(this.closes.slice(-3))}, failed attempts: ${this.failedAttempts})`,
        );
      }
    }
  }

  /**
   * Cuts the connection (no close frame, as a network failure would) the moment `frames` frames are
   * held, and continues on the stream URL `url` by the cut rule: another gateway, the same stream.
   */
  moveAt(frames: number, url: string): void {
    this.#moveAt = { frames, url };
  }

  /** Height of the last frame delivered (the block may still be arriving). */
  get lastHeight(): number | undefined {
    return this.#lastHeight;
  }

  get current(): DeliverySegment {
    return this.segments.at(-1)!;
  }

  /** Resolves once the first connection is open (or refused), then keeps reconnecting until stop(). */
  start(): Promise<void> {
    let opened!: () => void;
    const first = new Promise<void>((resolve) => {
      opened = resolve;
    });
    this.#running = this.#loop(opened);
    return first;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#socket?.terminate();
    await this.#running;
  }

  async #loop(opened: () => void): Promise<void> {
    while (!this.#stopped) {
      const retryMs = await this.#connectOnce(opened);
      if (this.#stopped) return;
      this.#gateway = (this.#gateway + 1) % this.#urls.length;
      await delay(retryMs);
    }
  }

  /** One connection from open to close; resolves with how long to wait before the next. */
  #connectOnce(opened: () => void): Promise<number> {
    const gateway = this.#names[this.#gateway]!;
    const url = new URL(this.#urls[this.#gateway]!);
    url.searchParams.set('since', formatPosition(this.#since));
    if (this.#epoch) url.searchParams.set('epoch', this.#epoch);
    const socket = new WebSocket(url, { handshakeTimeout: this.#options.handshakeTimeoutMs });
    this.#socket = socket;
    socket.on('upgrade', (response) => {
      const epoch = response.headers[EPOCH_HEADER.toLowerCase()];
      if (this.#epoch !== undefined || typeof epoch !== 'string') return;
      this.#epoch = epoch;
      this.current.epoch ??= epoch;
    });
    let heardAt = Date.now();
    let pinger: NodeJS.Timeout | undefined;
    let refused: { status: number; body: Record<string, unknown> } | undefined;
    let error: string | undefined;
    let silent = false;
    let open = false;

    return new Promise((resolve) => {
      socket.on('open', () => {
        open = true;
        opened();
        if (this.#options.pingIntervalMs === 0) return;
        pinger = setInterval(() => {
          if (Date.now() - heardAt > this.#options.silenceTimeoutMs) {
            silent = true;
            socket.terminate();
            return;
          }
          if (socket.readyState === WebSocket.OPEN) socket.ping();
        }, this.#options.pingIntervalMs);
      });
      socket.on('pong', () => {
        heardAt = Date.now();
      });
      socket.on('message', (data) => {
        heardAt = Date.now();
        this.#receive(String(data));
      });
      socket.on('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => {
          refused = { status: response.statusCode ?? 0, body: parseBody(text) };
          socket.terminate();
        });
        response.on('error', () => socket.terminate());
      });
      socket.on('error', (cause) => {
        error = cause.message;
      });
      socket.on('close', (code, reasonBuffer) => {
        clearInterval(pinger);
        opened();
        const reason = reasonBuffer.toString();
        if (open) this.closes.push({ code, reason });
        else this.failedAttempts += 1;
        const what = refused
          ? String(refused.body.code ?? refused.status)
          : silent
            ? 'ping-timeout'
            : (error ?? String(code));
        this.events.push({
          at: Date.now(),
          gateway,
          what,
          detail: refused ? JSON.stringify(refused.body) : reason,
        });
        resolve(refused ? this.#afterRefusal(refused.body) : this.#afterClose(code, reason));
      });
    });
  }

  #receive(text: string): void {
    if (text === 'pong') {
      this.#onFrame?.();
      return;
    }
    const frame = JSON.parse(text) as {
      height: number;
      transaction_id?: string;
      type?: string;
      seq?: number;
    };
    const key = frameKey(this.#stream, frame);
    this.#lastEvent = frame.seq === undefined ? undefined : { height: frame.height, seq: frame.seq };
    if (frame.height === this.#repeatHeight && this.#lastBlockKeys.has(key)) {
      this.droppedRepeats += 1;
      return;
    }
    if (frame.height !== this.#lastHeight) {
      this.#lastBlockKeys = new Set();
      this.#lastHeight = frame.height;
      if (frame.height !== this.#repeatHeight) this.#repeatHeight = undefined;
    }
    this.#lastBlockKeys.add(key);
    this.current.frames.push(text);
    if (this.#moveAt !== undefined && this.frames.length >= this.#moveAt.frames) {
      this.#urls = [this.#moveAt.url];
      this.#names = this.#urls;
      this.#gateway = 0;
      this.#moveAt = undefined;
      this.#socket?.terminate();
    }
    this.#onFrame?.();
  }

  #nextFrame(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onFrame = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(timeoutMs, 250));
      this.#onFrame = done;
    });
  }

  /** Sends text "ping"; true when "pong" came back (everything queued before it has arrived). */
  #pong(timeoutMs: number): Promise<boolean> {
    const socket = this.#socket!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), Math.min(timeoutMs, 2000));
      const onMessage = (data: WebSocket.RawData) => {
        if (String(data) === 'pong') finish(true);
      };
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onClose = () => finish(false);
      socket.on('message', onMessage);
      socket.once('close', onClose);
      socket.send('ping');
    });
  }

  #afterClose(code: number, reason: string): number {
    const epoch = /(?:^|; )epoch=([^;]+)/.exec(reason)?.[1];
    if (code === RESET_CLOSE) {
      this.#newSegment(Number(/(?:^|; )head=(\d+)/.exec(reason)?.[1] ?? 0), epoch, String(code));
      return 0;
    }
    if (code === HISTORY_GONE_CLOSE) {
      const oldest = Number(/(?:^|; )oldest=(\d+)/.exec(reason)?.[1] ?? 1);
      this.#newSegment(oldest - 1, epoch ?? this.#epoch, String(code));
      return 0;
    }
    const position = positionIn(reason);
    if (position) {
      this.#since = { height: position.since, seq: position.seq ?? 0 };
      if (position.epoch) this.#epoch = position.epoch;
      this.#repeatHeight = undefined;
      return code === 1013 ? 1000 : 100;
    }
    // No blockcast close frame. After a generic event (one frame) its position is exact.
    if (this.#lastEvent !== undefined) {
      this.#since = this.#lastEvent;
      this.#repeatHeight = undefined;
      return 200;
    }
    // The last block may have arrived in part.
    if (this.#lastHeight !== undefined && this.#lastHeight - 1 >= this.current.since) {
      this.#since = { height: this.#lastHeight - 1, seq: 0 };
      this.#repeatHeight = this.#lastHeight;
    }
    return 200;
  }

  #afterRefusal(body: Record<string, unknown>): number {
    if (body.code === 'EPOCH_MISMATCH') {
      this.#newSegment(Number(body.head ?? 0), body.epoch ? String(body.epoch) : undefined, 'EPOCH_MISMATCH');
      return 0;
    }
    if (body.code === 'HISTORY_GONE') {
      this.#newSegment(
        Number(body.oldest) - 1,
        body.epoch ? String(body.epoch) : this.#epoch,
        'HISTORY_GONE',
      );
      return 0;
    }
    // LOG_UNAVAILABLE, DRAINING, SINCE_AHEAD (this gateway or the log is behind): same position, later.
    return 500;
  }

  /** The history changed (or left what is retained): what follows is a new run from `since`. */
  #newSegment(since: number, epoch: string | undefined, startedBy: string): void {
    this.#since = { height: since, seq: 0 };
    this.#epoch = epoch;
    this.#lastHeight = undefined;
    this.#lastEvent = undefined;
    this.#lastBlockKeys = new Set();
    this.#repeatHeight = undefined;
    this.segments.push({ since, epoch, startedBy, frames: [] });
  }
}

function segmentStart(since: Position): Pick<DeliverySegment, 'since' | 'sinceSeq'> {
  return since.seq === 0 ? { since: since.height } : { since: since.height, sinceSeq: since.seq };
}

/** What tells a frame from the others of its block: what the rule drops repeats by. */
function frameKey(
  stream: ResumableStream,
  frame: { height: number; transaction_id?: string; type?: string; seq?: number },
) {
  if (stream === 'valid_blocks') return String(frame.height);
  if (stream === 'valid_transactions') return frame.transaction_id!;
  return frame.seq === undefined ? `${frame.type}-${frame.height}` : `${frame.height}-${frame.seq}`;
}

function parseBody(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { code: 'UNPARSEABLE', text };
  }
}
