import type { WebSocket } from 'uWebSockets.js';
import {
  CLOSE_CODES,
  type CloseCodeName,
  closeReasonAt,
  type Position,
  reportedPosition,
  type StreamRequest,
  type Subscription,
  subscriptionKey,
} from '@blockcast/protocol';
import type { CatchUp } from '../delivery/catch-up.js';
import type { Topics } from '../delivery/topics.js';
import type { StreamHead } from './connections.js';

/** What uWS keeps with a socket: it copies the user data's own fields, so the connection rides in one. */
export interface SocketData {
  connection: ClientConnection;
}

export type Socket = WebSocket<SocketData>;

/** What every connection shares: where live sockets stand and the two delivery paths. */
export interface ConnectionDeps {
  head: StreamHead;
  topics: Topics;
  catchUp: CatchUp;
}

/**
 * - `opening`: accepted at upgrade, not yet live nor catching up.
 * - `live`: on its topic; it has been sent every entry up to the follower's position.
 * - `catch-up`: off the topics, fed entry by entry from the history as it drains; it has been
 *   sent every entry up to `cursor`.
 */
export type DeliveryMode = 'opening' | 'live' | 'catch-up';

/**
 * One client socket's lifecycle, kept by uWS in the socket's user data: its request, its delivery
 * mode and cursor, its keep-alive and queue clocks, and the one way it is ended. Only this class
 * writes that state; the sweeper, catch-up and the route read it and call its methods.
 */
export class ClientConnection {
  readonly request: StreamRequest;
  /** The client's address (behind trusted proxies): its slot in the per-address limit. */
  readonly address: string;
  /** ms epoch at which the token it was opened with expires (closed with 1008); undefined: no token. */
  readonly expiresAt: number | undefined;
  readonly subscription: Subscription;
  /** The subscription's key: its uWS topic. */
  readonly key: string;
  readonly #deps: ConnectionDeps;
  #ws: Socket | undefined;
  #mode: DeliveryMode = 'opening';
  #closing = false;
  /** On its key's topic (joined live, not yet left): its count in Topics is this socket's. */
  #onTopic = false;
  /** A close frame held back until the frames queued ahead of it are out (`end`). */
  #heldClose: { code: number; reason: string } | undefined;
  #cursor: Position;
  #lastHeardAt: number;
  #lastSentAt: number;
  #pingedAt: number | undefined;
  #lastTextPingAt: number;
  #lastBuffered = 0;
  #progressAt: number;

  constructor(request: StreamRequest, address: string, expiresAt: number | undefined, deps: ConnectionDeps) {
    const now = Date.now();
    this.request = request;
    this.address = address;
    this.expiresAt = expiresAt;
    this.subscription = {
      stream: request.stream,
      profile: request.profile,
      typeMask: request.typeMask,
      filter: request.filter,
    };
    this.key = subscriptionKey(this.subscription);
    this.#deps = deps;
    this.#cursor = request.since ?? { height: 0, seq: 0 };
    this.#lastHeardAt = now;
    this.#lastSentAt = now;
    this.#lastTextPingAt = now;
    this.#progressAt = now;
  }

  get mode(): DeliveryMode {
    return this.#mode;
  }

  /** Ended by the gateway: nothing more is sent; the close handler still sees the mode it had. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Catch-up: the last position (block or generic event) whose frames were all queued. */
  get cursor(): Position {
    return this.#cursor;
  }

  /** ms epoch of the last message or pong from the peer (or of the connection). */
  get lastHeardAt(): number {
    return this.#lastHeardAt;
  }

  /** ms epoch of the last frame sent directly (catch-up); live sockets use their key's last publish. */
  get lastSentAt(): number {
    return this.#lastSentAt;
  }

  /** ms epoch of the ping sent for the current silence, if one was. */
  get pingedAt(): number | undefined {
    return this.#pingedAt;
  }

  /** 0.10 `valid_tx`: ms epoch of the last text "ping" (or of the connection). */
  get lastTextPingAt(): number {
    return this.#lastTextPingAt;
  }

  /** ms epoch at which the queue was last empty or went down: a socket that never drains is stalled. */
  get progressAt(): number {
    return this.#progressAt;
  }

  /** Ended, its close frame still waiting behind its queue. */
  get holdingClose(): boolean {
    return this.#heldClose !== undefined;
  }

  get bufferedAmount(): number {
    return this.#ws!.getBufferedAmount();
  }

  /** The position after which this socket resumes: a height unless generic events reach it. */
  get position(): Position {
    const at =
      this.#mode === 'catch-up'
        ? this.#cursor
        : this.#mode === 'live'
          ? this.#deps.head.livePosition()
          : (this.request.since ?? this.#deps.head.livePosition());
    return reportedPosition(this.subscription, at);
  }

  /** uWS opened the socket this connection was accepted for. */
  opened(ws: Socket): void {
    this.#ws = ws;
  }

  /** Onto its live topic: from here on it gets every entry as it is published. */
  goLive(): void {
    if (this.#mode === 'catch-up') this.#deps.catchUp.left(this);
    this.#mode = 'live';
    this.#deps.topics.join(this.#ws!, this.key, this.subscription);
    this.#onTopic = true;
  }

  /** Off the live path (or a new one resuming), fed from the history after `cursor`, an entry boundary. */
  catchUpFrom(cursor: Position): void {
    this.#leaveTopic();
    this.#mode = 'catch-up';
    this.#cursor = cursor;
    this.#deps.catchUp.entered(this);
  }

  /** Catch-up: queues the frames of the entry at `position` (possibly none) and moves the cursor to it. */
  sendEntry(position: Position, frames: readonly string[]): void {
    const ws = this.#ws!;
    ws.cork(() => {
      for (const frame of frames) ws.send(frame, false, false);
    });
    this.#cursor = position;
    if (frames.length > 0) this.#lastSentAt = Date.now();
  }

  /** A message or a pong from the peer: it is alive. */
  heard(now: number): void {
    this.#lastHeardAt = now;
    this.#pingedAt = undefined;
  }

  /** A text "ping" keep-alive: answered with "pong". */
  textPinged(now: number): void {
    this.#lastTextPingAt = now;
    this.#ws!.send('pong', false, false);
  }

  /** A ping for the current silence. */
  ping(now: number): void {
    this.#pingedAt = now;
    this.#ws!.ping();
  }

  /** Reads the queued bytes and records whether they went down since the last reading. */
  readQueue(now: number): number {
    const buffered = this.#ws!.getBufferedAmount();
    if (buffered === 0 || buffered < this.#lastBuffered) this.#progressAt = now;
    this.#lastBuffered = buffered;
    return buffered;
  }

  /**
   * Closes with a code from the protocol table and the exact resume position (once; later calls do
   * nothing). uWS cuts an ended socket at its next 4-second tick, close frame sent or not, and a
   * paused reader may have megabytes queued ahead of it: the frame waits until they are out, with
   * nothing more queued after the position (off its topic; catch-up stops at `closing`).
   */
  end(name: CloseCodeName, extra: Record<string, string | number | null> = {}): void {
    if (this.#closing) return;
    const reason = closeReasonAt(name, this.position, this.#deps.head.epoch(), extra);
    this.#closing = true;
    this.#heldClose = { code: CLOSE_CODES[name].code, reason };
    if (this.sendHeldClose()) return;
    this.#leaveTopic();
    this.#progressAt = Date.now();
    this.#lastBuffered = this.#ws!.getBufferedAmount();
  }

  /** Sends the held-back close frame once nothing is queued ahead of it; true when it did. */
  sendHeldClose(): boolean {
    const held = this.#heldClose;
    if (held === undefined || this.#ws!.getBufferedAmount() > 0) return false;
    this.#heldClose = undefined;
    this.#ws!.end(held.code, held.reason);
    return true;
  }

  /** Cut without a close frame: the shutdown grace is over. */
  cut(): void {
    this.#ws!.close();
  }

  /** The socket is gone: it leaves its topic's count and catch-up. */
  closed(): void {
    if (this.#onTopic) this.#deps.topics.closed(this.key);
    this.#deps.catchUp.forget(this);
  }

  #leaveTopic(): void {
    if (!this.#onTopic) return;
    this.#deps.topics.leave(this.#ws!, this.key);
    this.#onTopic = false;
  }
}
