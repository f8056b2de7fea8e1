/**
 * One stream subscription: connects, delivers every frame exactly once and in order to the
 * application (a handler, or an async iterator), advances and saves its resume point only when
 * the application has returned, reconnects after anything that is not the application's to
 * decide, and ends with a signal when continuing would skip or repeat events.
 */
import {
  CloseCode,
  isParameterName,
  type Position,
  parsePosition,
  positionIn,
  type StreamName,
  streamDescription,
} from '@blockcast/protocol/client';
import { type Fetch, type HistoryBounds, readHistoryBounds, readStreamsRoot } from './api-root.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { FrameOf } from './frames.js';
import { Listeners } from './listeners.js';
import type { PositionStore } from './position-store.js';
import { accept, closedAt, type ResumePoint } from './resume-point.js';
import { type Signal, SignalError, type StateChange, type SubscriptionState } from './signals.js';
import type { Connection, Refusal, Transport } from './transport.js';

/** Query parameters: filters (repeat a key with an array), `types`, `profile`. `since`/`epoch` are the SDK's. */
export type StreamParams = Record<string, string | number | readonly (string | number)[]>;

/** One frame, delivered once: as the server sent it, parsed, with where it sits and in which history. */
export interface StreamEvent<S extends StreamName = StreamName> {
  stream: S;
  frame: FrameOf[S];
  /** The frame's JSON exactly as the server sent it. */
  text: string;
  /** Its height (and `seq` for a generic event); undefined on `valid_tx`, whose frames carry no height. */
  position: Position | undefined;
  epoch: string | null;
}

export interface SubscriptionEvents<S extends StreamName> {
  state(change: StateChange): void;
  signal(signal: Signal): void;
  /** The handler threw: the subscription closed, and that event was not committed. */
  error(error: unknown): void;
  /** Every frame delivered, after the handler returned (for observers; the handler is `onEvent`). */
  delivered(event: StreamEvent<S>): void;
}

/** What every subscription of one client shares. */
export interface SubscriptionContext {
  apiRoot: string;
  fetch: Fetch;
  transport: Transport;
  store: PositionStore;
  backoff: BackoffOptions;
  /** The current token for private streams, or undefined. */
  token(): string | undefined;
  /** Asked for a new token after 1008 (expired) or a 401; undefined when there is none. */
  refreshToken: (() => Promise<string>) | undefined;
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  highWaterMark: number;
  /** Whether the platform says it is offline (browser `navigator.onLine`). */
  offline(): boolean;
}

export interface SubscriptionOptions<S extends StreamName> {
  stream: S;
  params?: StreamParams;
  /** Where the position is stored; default `<stream>?<params>`. */
  key?: string;
  /** Called once per event, in order; the next waits for it (and for its promise). */
  onEvent?: (event: StreamEvent<S>) => void | Promise<void>;
}

type Outcome =
  | { kind: 'closed'; code: number; reason: string; opened: boolean; delivered: number }
  | { kind: 'refused'; refusal: Refusal }
  | { kind: 'replaced' };

interface Dialled {
  connection: Connection;
  opened: Promise<boolean>;
  ended: Promise<Outcome>;
  /** Deliver nothing more from this connection (a successor will send it). */
  mute(): void;
  replace(): void;
}

interface Received {
  text: string;
  frame: unknown;
  from: Dialled;
}

/** Client-side close codes (4000–4999 are the application's): why the SDK itself ended a connection. */
const LOCAL_CLOSE = {
  stopped: 1000,
  replaced: 1000,
  timeout: 4000,
  unresponsive: 4001,
  overflow: 4002,
} as const;

/** A connection that lived this long counts as working: the backoff starts small again. */
const STABLE_MS = 5000;

export class Subscription<S extends StreamName = StreamName> implements AsyncIterable<StreamEvent<S>> {
  readonly stream: S;
  readonly key: string;
  #params: StreamParams;
  readonly #context: SubscriptionContext;
  readonly #listeners = new Listeners<SubscriptionEvents<S>>();
  readonly #onEvent: SubscriptionOptions<S>['onEvent'];
  readonly #backoff: Backoff;
  #state: SubscriptionState = 'idle';
  #point: ResumePoint | undefined;
  #current: Dialled | undefined;
  #stopped = false;
  #ended: Signal | Error | undefined;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  // Frames received and not yet delivered: bounded by pausing the socket (or closing it where it cannot be paused).
  readonly #queue: Received[] = [];
  #paused = false;
  #pumping: Promise<void> | undefined;
  /** Iterator mode: the event waiting for `next()`, and the one handed out and not yet committed. */
  #offered: { event: StreamEvent<S>; done: (committed: boolean) => void } | undefined;
  #handedOut: ((committed: boolean) => void) | undefined;
  #consumer:
    | { resolve: (result: IteratorResult<StreamEvent<S>>) => void; reject: (error: unknown) => void }
    | undefined;
  #streamsRoot = '';

  constructor(context: SubscriptionContext, options: SubscriptionOptions<S>) {
    this.stream = options.stream;
    this.#params = options.params ?? {};
    this.#context = context;
    this.#onEvent = options.onEvent;
    this.key = options.key ?? `${options.stream}?${queryOf(this.#params)}`;
    this.#backoff = new Backoff(context.backoff);
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** The resume point of the last event the application returned from. */
  get point(): ResumePoint | undefined {
    return this.#point;
  }

  on<K extends keyof SubscriptionEvents<S>>(name: K, listener: SubscriptionEvents<S>[K]): () => void {
    return this.#listeners.on(name, listener);
  }

  /** Starts connecting (iterating starts it too); resolves when the subscription has ended. */
  start(): Promise<void> {
    this.#running ??= this.#run().catch((error: unknown) =>
      this.#finish(error instanceof Error ? error : new Error(String(error))),
    );
    return this.#running;
  }

  /** Stops: the connection is closed, nothing more is delivered; the saved position stays. */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#current?.connection.close(LOCAL_CLOSE.stopped, 'client closed');
    this.#wake?.();
    this.#release();
    await this.#running;
  }

  /** Iterator mode: the event handed out last was handled (asking for the next one says so too). */
  commit(): void {
    const handed = this.#handedOut;
    this.#handedOut = undefined;
    handed?.(true);
  }

  /** The query the next connection uses; the current one is kept (LEAP: types narrowed by `unregister`). */
  useParams(params: StreamParams): void {
    this.#params = params;
  }

  /**
   * Changes the query (LEAP: the union of types): a new connection from the position, then the
   * old one closes. The old one delivers nothing more from the moment of the change — what it
   * would have sent comes again on the new one — so an event of a newly selected type that lies
   * between the position and the swap is not skipped as "before the position".
   */
  async changeParams(params: StreamParams): Promise<void> {
    this.#params = params;
    const previous = this.#current;
    if (previous === undefined || this.#state !== 'open') return; // the next connection uses them
    previous.mute();
    await this.#drained();
    const next = this.#dial(this.#url());
    if (!(await next.opened)) {
      // The old one is muted: end it; the run loop reconnects from the position with the new query.
      previous.connection.close(LOCAL_CLOSE.replaced, 'types changed');
      return;
    }
    if (this.#current !== previous) {
      next.connection.close(LOCAL_CLOSE.replaced, 'superseded');
      return;
    }
    this.#current = next;
    previous.replace();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent<S>> {
    if (this.#onEvent !== undefined)
      throw new Error('this subscription delivers to onEvent; iterate one without it');
    void this.start();
    return {
      next: () => {
        this.commit();
        return new Promise((resolve, reject) => {
          const offered = this.#offered;
          if (offered !== undefined) {
            this.#offered = undefined;
            this.#handedOut = offered.done;
            return resolve({ done: false, value: offered.event });
          }
          if (this.#ended !== undefined) return reject(this.#ended);
          if (this.#stopped) return resolve({ done: true, value: undefined });
          this.#consumer = { resolve, reject };
        });
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Iterator mode: resolves true once the application asked for the next event, false if it never will. */
  #offer(event: StreamEvent<S>): Promise<boolean> {
    return new Promise<boolean>((done) => {
      const consumer = this.#consumer;
      if (consumer === undefined) {
        this.#offered = { event, done };
        return;
      }
      this.#consumer = undefined;
      this.#handedOut = done;
      consumer.resolve({ done: false, value: event });
    });
  }

  /** Nothing handed out or offered will be committed; a waiting `next()` ends. */
  #release(): void {
    this.#offered?.done(false);
    this.#offered = undefined;
    this.#handedOut?.(false);
    this.#handedOut = undefined;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer === undefined) return;
    if (this.#ended === undefined) consumer.resolve({ done: true, value: undefined });
    else consumer.reject(this.#ended);
  }

  async #run(): Promise<void> {
    const context = this.#context;
    const refused = this.#localRefusal();
    if (refused !== undefined) return this.#finish(refused);
    this.#point = await context.store.load(this.key);
    // Nothing delivered yet and no stored point: a refusal of the pinned epoch only means the catalog was stale.
    let pristine = this.#point === undefined;
    let streamsRoot: string | undefined;
    let tokenJustRefreshed = false;
    while (!this.#stopped) {
      if (this.#current === undefined) this.#setState('connecting');
      try {
        streamsRoot ??= await readStreamsRoot(context.fetch, context.apiRoot);
        if (this.#point === undefined)
          this.#point = pointAt(await readHistoryBounds(context.fetch, context.apiRoot), this.stream);
      } catch (error) {
        await this.#waitFor(this.#backoff.next(), {
          reason: `API root unreachable: ${(error as Error).message}`,
        });
        continue;
      }
      this.#streamsRoot = streamsRoot;
      const dialled = this.#current ?? this.#dial(this.#url());
      this.#current = dialled;
      const outcome = await dialled.ended;
      await this.#drained();
      if (this.#stopped) break;
      if (outcome.kind === 'replaced') continue;
      this.#current = undefined;
      if (outcome.kind === 'refused') {
        const { refusal } = outcome;
        const code = String(refusal.body.code ?? '');
        const message = String(refusal.body.message ?? `the upgrade was answered ${refusal.status}`);
        if (refusal.status === 409 && pristine) {
          this.#point = undefined; // the catalog was stale: read the current epoch and head again
          await this.#waitFor(this.#backoff.next(), { code: refusal.status, reason: message });
          continue;
        }
        if (refusal.status === 409)
          return this.#finish({
            kind: 'reset',
            epoch: stringOr(refusal.body.epoch),
            head: numberOr(refusal.body.head),
            code: 409,
            message,
          });
        if (refusal.status === 410)
          return this.#finish({
            kind: 'historyGone',
            oldest: numberOr(refusal.body.oldest),
            code: 410,
            message,
          });
        if (refusal.status === 401 && context.refreshToken !== undefined && !tokenJustRefreshed) {
          await this.#newToken();
          tokenJustRefreshed = true;
          continue;
        }
        if (refusal.status === 429 || refusal.status >= 500) {
          const delay = refusal.retryAfterS === undefined ? this.#backoff.next() : refusal.retryAfterS * 1000;
          await this.#waitFor(delay, { code: refusal.status, reason: message });
          continue;
        }
        return this.#finish({ kind: 'refused', status: refusal.status, code, message, body: refusal.body });
      }
      tokenJustRefreshed = false;
      const { code, reason } = outcome;
      if (outcome.delivered > 0) pristine = false;
      if (code === CloseCode.RESET) {
        const head = /(?:^|; )head=(\d+)/.exec(reason)?.[1];
        const epoch = /(?:^|; )epoch=([^;]+)/.exec(reason)?.[1] ?? null;
        return this.#finish({
          kind: 'reset',
          epoch,
          head: head === undefined ? null : Number(head),
          code,
          message: reason,
        });
      }
      if (code === CloseCode.HISTORY_GONE) {
        const oldest = /(?:^|; )oldest=(\d+)/.exec(reason)?.[1];
        return this.#finish({
          kind: 'historyGone',
          oldest: oldest === undefined ? null : Number(oldest),
          code,
          message: reason,
        });
      }
      const position = positionIn(reason);
      const point = this.#point!;
      if (position !== undefined) {
        if (point.epoch !== null && position.epoch !== null && position.epoch !== point.epoch)
          return this.#finish({ kind: 'reset', epoch: position.epoch, head: null, code, message: reason });
        const since =
          position.seq === undefined ? String(position.since) : `${position.since}-${position.seq}`;
        this.#point = closedAt(point, since, position.epoch);
        await context.store.save(this.key, this.#point);
      } else if (point.epoch === null && outcome.opened) {
        // Cut, and never told which history it was in (the stream was empty at the start and no
        // 101 header named it): resuming could continue another one.
        return this.#finish({
          kind: 'reset',
          epoch: null,
          head: null,
          code,
          message: `cut (${code}) before the epoch was known`,
        });
      }
      if (!outcome.opened && !context.transport.headers) {
        // A browser cannot see why an upgrade failed: the catalog tells a changed or trimmed history.
        const signal = await this.#historyCheck();
        if (signal !== undefined) return this.#finish(signal);
      }
      if (code === CloseCode.DRAINING) continue;
      if (code === CloseCode.POLICY) {
        if (context.refreshToken === undefined)
          return this.#finish({
            kind: 'refused',
            status: 401,
            code: 'TOKEN_EXPIRED',
            message: reason,
            body: {},
          });
        await this.#newToken();
        continue;
      }
      // Started on an empty stream and nothing came: read the catalog again for a head and epoch.
      if (pristine && this.#point?.since === null && !outcome.opened) this.#point = undefined;
      await this.#waitFor(this.#backoff.next(), { code, reason });
    }
    this.#finish(undefined);
  }

  #url(): string {
    const point = this.#point!;
    const query = new URLSearchParams(queryOf(this.#params));
    if (point.since !== null) query.set('since', point.since);
    if (point.epoch !== null) query.set('epoch', point.epoch);
    const token = this.#context.token();
    if (token !== undefined && !this.#context.transport.headers) query.set('access_token', token);
    const text = query.toString();
    return `${this.#streamsRoot}${this.stream}${text === '' ? '' : `?${text}`}`;
  }

  #dial(url: string): Dialled {
    const context = this.#context;
    const token = context.token();
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    let opened = false;
    let delivered = 0;
    let replaced = false;
    let muted = false;
    let openedAt = 0;
    let resolveOpened!: (value: boolean) => void;
    let resolveEnded!: (outcome: Outcome) => void;
    const openedPromise = new Promise<boolean>((resolve) => {
      resolveOpened = resolve;
    });
    const ended = new Promise<Outcome>((resolve) => {
      resolveEnded = resolve;
    });
    let pingTimer: ReturnType<typeof setInterval> | undefined;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const connectTimer = setTimeout(
      () => connection.close(LOCAL_CLOSE.timeout, 'connect timeout'),
      context.connectTimeoutMs,
    );
    const stopTimers = () => {
      clearTimeout(connectTimer);
      clearInterval(pingTimer);
      clearTimeout(deadline);
    };
    const self: Dialled = {
      get connection() {
        return connection;
      },
      opened: openedPromise,
      ended,
      mute: () => {
        muted = true;
      },
      replace: () => {
        replaced = true;
        stopTimers();
        connection.close(LOCAL_CLOSE.replaced, 'types changed');
        resolveEnded({ kind: 'replaced' });
      },
    };
    const connection: Connection = context.transport.open(url, headers, {
      open: (epoch) => {
        opened = true;
        openedAt = Date.now();
        clearTimeout(connectTimer);
        // Learnt from the 101 answer when the catalog had none (a stream empty when this client started).
        if (epoch !== null && this.#point !== undefined && this.#point.epoch === null)
          this.#point = { ...this.#point, epoch };
        if (this.#current === self || this.#current === undefined) this.#setState('open');
        pingTimer = setInterval(() => {
          if (this.#paused) return; // a paused socket cannot read the pong
          connection.send('ping');
          deadline ??= setTimeout(
            () => connection.close(LOCAL_CLOSE.unresponsive, 'no pong'),
            context.pongTimeoutMs,
          );
        }, context.pingIntervalMs);
        resolveOpened(true);
      },
      message: (text) => {
        clearTimeout(deadline);
        deadline = undefined;
        if (replaced || muted || text === 'pong') return;
        let frame: unknown;
        try {
          frame = JSON.parse(text);
        } catch {
          return; // not a frame of any stream
        }
        delivered += 1;
        this.#enqueue({ text, frame, from: self });
      },
      refused: (refusal) => {
        stopTimers();
        resolveOpened(false);
        resolveEnded({ kind: 'refused', refusal });
      },
      close: (code, reason) => {
        stopTimers();
        resolveOpened(false);
        if (opened && Date.now() - openedAt >= STABLE_MS) this.#backoff.reset();
        if (delivered > 0) this.#backoff.reset();
        resolveEnded(replaced ? { kind: 'replaced' } : { kind: 'closed', code, reason, opened, delivered });
      },
    });
    return self;
  }

  #enqueue(received: Received): void {
    this.#queue.push(received);
    if (this.#queue.length >= this.#context.highWaterMark && !this.#paused) {
      if (received.from.connection.pause()) this.#paused = true;
      else if (this.#queue.length >= 4 * this.#context.highWaterMark)
        // Cannot slow the socket (browser): end it; the resume point picks up after what is queued.
        received.from.connection.close(LOCAL_CLOSE.overflow, 'client queue full');
    }
    this.#startPump();
  }

  /**
   * One pump at a time. A pump that only dropped repeats ends without awaiting, before its
   * `finally` ran: frames queued meanwhile (the same burst) start the next pump from there.
   */
  #startPump(): void {
    if (this.#pumping !== undefined) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#queue.length > 0 && this.#ended === undefined) this.#startPump();
    });
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && this.#ended === undefined) {
      const received = this.#queue.shift()!;
      if (this.#paused && this.#queue.length <= this.#context.highWaterMark / 2) {
        this.#paused = false;
        this.#current?.connection.resume();
      }
      const point = this.#point!;
      const verdict = accept(point, received.frame as FrameOf[S]);
      if (!verdict.deliver) continue;
      const event: StreamEvent<S> = {
        stream: this.stream,
        frame: received.frame as FrameOf[S],
        text: received.text,
        position: verdict.position,
        epoch: point.epoch,
      };
      try {
        if (this.#onEvent !== undefined) await this.#onEvent(event);
        else if (!(await this.#offer(event))) return; // the iterator was closed while holding it
      } catch (error) {
        this.#listeners.emit('error', error);
        this.#finish(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.#point = verdict.point;
      await this.#context.store.save(this.key, verdict.point);
      this.#listeners.emit('delivered', event);
    }
  }

  /** Every frame received has been delivered (or the subscription ended). */
  async #drained(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
    if (this.#paused) {
      this.#paused = false;
      this.#current?.connection.resume();
    }
  }

  async #historyCheck(): Promise<Signal | undefined> {
    let bounds: HistoryBounds;
    try {
      bounds = await readHistoryBounds(this.#context.fetch, this.#context.apiRoot);
    } catch {
      return undefined;
    }
    const point = this.#point!;
    if (point.epoch !== null && bounds.epoch !== null && bounds.epoch !== point.epoch)
      return {
        kind: 'reset',
        epoch: bounds.epoch,
        head: bounds.head,
        code: 409,
        message: 'the catalog names another epoch',
      };
    const since = point.since === null ? undefined : parsePosition(point.since);
    if (since !== undefined && bounds.oldest !== null && since.height < bounds.oldest - 1)
      return {
        kind: 'historyGone',
        oldest: bounds.oldest,
        code: 410,
        message: `oldest retained height is ${bounds.oldest}`,
      };
    return undefined;
  }

  /** A stream or parameter the protocol says the server will refuse, refused here without a round trip. */
  #localRefusal(): Signal | undefined {
    const description = streamDescription(this.stream);
    if (description === undefined) return refusal(404, 'UNKNOWN_STREAM', `no stream ${this.stream}`, {});
    for (const name of Object.keys(this.#params)) {
      if (name === 'since' || name === 'epoch' || name === 'access_token')
        return refusal(400, 'INVALID_PARAMETER', `${name} is managed by the SDK`, { parameter: name });
      if (isParameterName(name) && !description.parameters.includes(name))
        return refusal(400, 'PARAMETER_NOT_APPLICABLE', `${this.stream} does not take ${name}`, {
          parameter: name,
        });
    }
    return undefined;
  }

  async #newToken(): Promise<void> {
    try {
      await this.#context.refreshToken?.();
    } catch (error) {
      this.#listeners.emit('error', error);
    }
  }

  async #waitFor(delayMs: number, cause: { code?: number; reason?: string }): Promise<void> {
    if (this.#stopped) return;
    this.#setState('waiting', { ...cause, delayMs });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      const context = this.#context;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        if (!context.offline()) done();
      };
      if (context.offline()) clearTimeout(timer); // offline: wait for `online` (wake)
    });
    this.#wake = undefined;
  }

  /** Cuts a backoff wait short (the platform came back online, the page became visible). */
  wake(): void {
    this.#wake?.();
  }

  /** The platform went offline: end the connection now rather than wait for a timeout. */
  disconnect(reason: string): void {
    this.#current?.connection.close(LOCAL_CLOSE.unresponsive, reason);
  }

  #setState(
    state: SubscriptionState,
    cause: { code?: number; reason?: string; delayMs?: number } = {},
  ): void {
    if (state === this.#state && state !== 'waiting') return;
    const previous = this.#state;
    this.#state = state;
    this.#listeners.emit('state', { state, previous, ...cause });
  }

  #finish(end: Signal | Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#stopped = true;
    this.#ended = end === undefined ? undefined : end instanceof Error ? end : new SignalError(end);
    this.#current?.connection.close(LOCAL_CLOSE.stopped, 'subscription ended');
    if (end !== undefined && !(end instanceof Error)) this.#listeners.emit('signal', end);
    const reason =
      end === undefined ? 'closed' : end instanceof Error ? end.message : `${end.kind}: ${end.message}`;
    const code =
      end === undefined || end instanceof Error
        ? {}
        : { code: end.kind === 'refused' ? end.status : end.code };
    this.#setState('closed', { reason, ...code });
    this.#release();
  }
}

function refusal(status: number, code: string, message: string, body: Record<string, unknown>): Signal {
  return { kind: 'refused', status, code, message, body: { code, message, ...body } };
}

/**
 * Starting without a position: from the head the catalog names, in its epoch, so nothing committed
 * after `start()` is missed (the catalog may be a second old: a few earlier events may come too).
 * On `events` from the block before the head: `since=<head>` would skip generic events emitted
 * after the head block once the catalog was read. An empty stream has no head: the connection is
 * live, pinned to the epoch if there is one.
 */
export function pointAt(bounds: HistoryBounds, stream: StreamName): ResumePoint {
  const head = bounds.head === null ? null : stream === 'events' ? Math.max(0, bounds.head - 1) : bounds.head;
  return { epoch: bounds.epoch, since: head === null ? null : String(head), delivered: [] };
}

export function queryOf(params: StreamParams): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) query.append(name, String(item));
  }
  return query.toString();
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
