/**
 * A WebSocket client that follows the resume rule of docs/protocol.md, for the fault scenarios:
 * it starts from `since` in the epoch read from the catalog (or learns it from the first 101
 * answer's X-Blockcast-Epoch) and sends it with every `since`; after a blockcast close it reconnects with the `since`/`epoch` of the close reason; after a cut
 * without one (1006, its own ping timeout) with the last height − 1, dropping the frames of that
 * block it already has (on `events`, after a generic event: its own position, exact); after a reset (4011, 409 EPOCH_MISMATCH, 410 HISTORY_GONE) it starts a
 * new segment from the position the signal names. Every attempt moves to the next gateway.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { EPOCH_HEADER, formatPosition, type Position, positionIn } from '@blockcast/protocol';
import WebSocket from 'ws';

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

export interface ResumingClientOptions {
  /** Gateway base URLs (`ws://127.0.0.1:port`); the client starts at `first` and rotates on failure. */
  gateways: readonly string[];
  first?: number;
  stream: ResumableStream;
  /** Where the first connection starts (default 0; `H-S` on events) and the epoch it belongs to (the catalog's). */
  since?: number | Position;
  epoch?: string;
  /** RFC 6455 ping every this many ms; the gateway's own idle timeout is far longer. */
  pingIntervalMs?: number;
  /** Nothing heard for this long: the connection is dead (a stopped peer never closes it). */
  silenceTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

/** Close codes after which the old position means nothing: a new segment starts (docs/protocol.md). */
const RESET_CLOSE = 4011;
const HISTORY_GONE_CLOSE = 4010;

export class ResumingClient {
  readonly segments: DeliverySegment[] = [];
  readonly events: ConnectionEvent[] = [];
  /** Frames dropped by the rule after a cut (already had before it): counted, not delivered. */
  droppedRepeats = 0;
  readonly #options: Required<Omit<ResumingClientOptions, 'first' | 'since' | 'epoch'>>;
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

  constructor(options: ResumingClientOptions) {
    this.#options = {
      pingIntervalMs: 1000,
      silenceTimeoutMs: 4000,
      handshakeTimeoutMs: 3000,
      ...options,
    };
    this.#gateway = (options.first ?? 0) % options.gateways.length;
    const since = options.since ?? 0;
    this.#since = typeof since === 'number' ? { height: since, seq: 0 } : since;
    this.#epoch = options.epoch;
    this.segments.push({ ...segmentStart(this.#since), epoch: this.#epoch, startedBy: 'start', frames: [] });
  }

  get stream(): ResumableStream {
    return this.#options.stream;
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
      this.#gateway = (this.#gateway + 1) % this.#options.gateways.length;
      await delay(retryMs);
    }
  }

  /** One connection from open to close; resolves with how long to wait before the next. */
  #connectOnce(opened: () => void): Promise<number> {
    const gateway = this.#options.gateways[this.#gateway]!;
    const query = new URLSearchParams({ since: formatPosition(this.#since) });
    if (this.#epoch) query.set('epoch', this.#epoch);
    const socket = new WebSocket(`${gateway}/api/v1/streams/${this.#options.stream}?${query}`, {
      handshakeTimeout: this.#options.handshakeTimeoutMs,
    });
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

    return new Promise((resolve) => {
      socket.on('open', () => {
        opened();
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
    const frame = JSON.parse(text) as {
      height: number;
      transaction_id?: string;
      type?: string;
      seq?: number;
    };
    const key = frameKey(this.#options.stream, frame);
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
