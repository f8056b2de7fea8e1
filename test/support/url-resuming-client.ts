/**
 * (For one URL, e.g. behind a load balancer; test/support/resuming-client.ts rotates over gateways and
 * records segments for the fault verifier.)
 *
 * A client that keeps its stream across reconnects exactly as docs/protocol.md tells client
 * developers: it sends the epoch with every `since` (the catalog's, or the 101 answer's); after a
 * close frame it reconnects with the `since` and `epoch` the reason names; after a cut without
 * one, with the last height received minus one, dropping the frames of that height it already has. Its `frames` must end up equal to the stream's frames, each once, in order.
 */
import { EPOCH_HEADER } from '@blockcast/protocol';
import WebSocket from 'ws';
import type { ClosedWith } from './ws-client.js';

export interface ResumingClientOptions {
  /** `ws://host:port/api/v1/streams/<stream>` plus any query of its own (without since/epoch). */
  url: string;
  /** Where the first connection resumes from. */
  since: number;
  /** The epoch `since` belongs to (from the catalog); without it, the epoch of the first 101 answer. */
  epoch?: string;
  /** Wait before connecting again after a refused or failed attempt. Default 100 ms. */
  retryMs?: number;
}

export class ResumingClient {
  /** Every frame kept, duplicates after a cut already dropped; no "pong". */
  readonly frames: string[] = [];
  /** Every close the client saw, in order (code 1006: cut without a close frame). */
  readonly closes: ClosedWith[] = [];
  /** Connection attempts that did not open (refused upgrade, refused or reset TCP). */
  failedAttempts = 0;
  #url: string;
  readonly #retryMs: number;
  #since: number;
  #epoch: string | undefined;
  #lastHeight: number | undefined;
  /** Frames held of `#lastHeight`; after a cut the gateway sends that block again from its start. */
  #heldAtLast = 0;
  #toDrop = 0;
  #socket: WebSocket | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #onFrame: (() => void) | undefined;
  #moveAt: { frames: number; url: string } | undefined;

  constructor(options: ResumingClientOptions) {
    this.#url = options.url;
    this.#since = options.since;
    this.#epoch = options.epoch;
    this.#retryMs = options.retryMs ?? 100;
  }

  /** Connects; resolves when the first connection is open. */
  start(): Promise<void> {
    return new Promise((resolve) => this.#connect(resolve));
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
   * held, and continues on `url` by the cut rule: another gateway, the same stream.
   */
  moveAt(frames: number, url: string): void {
    this.#moveAt = { frames, url };
  }

  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    });
  }

  #connect(opened?: () => void): void {
    if (this.#stopped) return;
    const url = new URL(this.#url);
    url.searchParams.set('since', String(this.#since));
    if (this.#epoch !== undefined) url.searchParams.set('epoch', this.#epoch);
    const socket = new WebSocket(url, { handshakeTimeout: 5000 });
    this.#socket = socket;
    let open = false;
    socket.on('upgrade', (response) => {
      const epoch = response.headers[EPOCH_HEADER.toLowerCase()];
      if (this.#epoch === undefined && typeof epoch === 'string') this.#epoch = epoch;
    });
    socket.on('open', () => {
      open = true;
      opened?.();
    });
    socket.on('message', (data) => this.#receive(String(data)));
    socket.on('error', () => {}); // the close that follows decides what to do
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
    });
    socket.on('close', (code, reason) => {
      if (!open) {
        this.failedAttempts += 1;
        // Unreferenced: a client a failed test did not stop must not keep the test process alive.
        this.#retry = setTimeout(() => this.#connect(opened), this.#retryMs).unref();
        return;
      }
      this.#closed({ code, reason: reason.toString() });
      if (!this.#stopped) this.#connect();
    });
  }

  #receive(frame: string): void {
    if (frame === 'pong') {
      this.#onFrame?.();
      return;
    }
    const height = (JSON.parse(frame) as { height: number }).height;
    if (this.#toDrop > 0 && height === this.#lastHeight) {
      this.#toDrop -= 1;
      return;
    }
    this.#toDrop = 0;
    if (height === this.#lastHeight) this.#heldAtLast += 1;
    else {
      this.#lastHeight = height;
      this.#heldAtLast = 1;
    }
    this.frames.push(frame);
    if (this.#moveAt?.frames === this.frames.length) {
      this.#url = this.#moveAt.url;
      this.#moveAt = undefined;
      this.#socket?.terminate();
    }
    this.#onFrame?.();
  }

  #closed(closed: ClosedWith): void {
    this.closes.push(closed);
    const since = /(?:^|; )since=(\d+)/.exec(closed.reason)?.[1];
    if (since !== undefined) {
      this.#since = Number(since);
      this.#epoch = /(?:^|; )epoch=([^;]+)/.exec(closed.reason)?.[1] ?? this.#epoch;
      this.#toDrop = 0;
    } else if (this.#lastHeight !== undefined) {
      // No position: the last block may have arrived in part; it comes again in full.
      this.#since = this.#lastHeight - 1;
      this.#toDrop = this.#heldAtLast;
    }
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
}
