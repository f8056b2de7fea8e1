/**
 * The application's entry: a client for one blockcast deployment, found from its API root.
 * `subscribe` opens stream subscriptions; `register`/`unregister`/`emit` are LEAP's event API.
 */
import type { StreamName } from '@blockcast/protocol/client';
import { type Fetch, normaliseApiRoot } from './api-root.js';
import type { BackoffOptions } from './backoff.js';
import { type Emitted, emitEvent } from './emit.js';
import { type LeapCallback, LeapRegistry } from './leap.js';
import { MemoryPositionStore, type PositionStore } from './position-store.js';
import { Subscription, type SubscriptionContext, type SubscriptionOptions } from './subscription.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  /** The API root, e.g. `http://localhost:9984/api/v1/` (discovery). */
  apiRoot: string;
  /** Where positions are kept. Default: in memory (a restarted process starts live). */
  positionStore?: PositionStore;
  /** For private streams. Node sends it as `Authorization: Bearer`; a browser as `?access_token=`. */
  token?: string;
  /** Asked for a new token when the server says the current one expired (1008) or is refused (401). */
  getToken?: () => string | Promise<string>;
  /** Ingest's URL, for `emit`. */
  ingestUrl?: string;
  /** Bearer token for `emit` (ingest's INGEST_EVENT_TOKENS). */
  emitToken?: string;
  /** Reconnect delays: full jitter between 0 and min(capMs, baseMs × 2^attempt). Default 250 ms / 30 s. */
  backoff?: BackoffOptions;
  /** An upgrade not answered within this is abandoned and retried. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Text "ping" this often (valid_tx needs one at least every 3 minutes). Default 20 000 ms. */
  pingIntervalMs?: number;
  /** No message within this after a ping: the connection is taken for dead. Default 10 000 ms. */
  pongTimeoutMs?: number;
  /** Frames received ahead of the application before the socket is paused. Default 256. */
  highWaterMark?: number;
  /** The WebSocket implementation. Default: the global `WebSocket` (`ws` from `@blockcast/client/node`). */
  transport?: Transport;
  fetch?: Fetch;
}

export class BlockcastClient {
  readonly #context: SubscriptionContext;
  readonly #options: ClientOptions;
  readonly #subscriptions = new Set<Subscription<StreamName>>();
  readonly #leap: LeapRegistry;
  #token: string | undefined;
  readonly #detach: () => void;

  constructor(options: ClientOptions, defaultTransport: () => Transport) {
    this.#options = options;
    this.#token = options.token;
    const fetchImpl = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#context = {
      apiRoot: normaliseApiRoot(options.apiRoot),
      fetch: fetchImpl,
      transport: options.transport ?? defaultTransport(),
      store: options.positionStore ?? new MemoryPositionStore(),
      backoff: options.backoff ?? {},
      token: () => this.#token,
      refreshToken:
        options.getToken === undefined
          ? undefined
          : async () => {
              this.#token = await options.getToken?.();
              return this.#token ?? '';
            },
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      highWaterMark: options.highWaterMark ?? 256,
      offline: () => (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false,
    };
    this.#leap = new LeapRegistry((types, onEvent) =>
      this.subscribe('events', { params: { types: types.join(',') }, key: 'leap:events', onEvent }),
    );
    this.#detach = this.#watchPlatform();
  }

  /** A subscription to one stream; it connects when started (or iterated). */
  subscribe<S extends StreamName>(
    stream: S,
    options: Omit<SubscriptionOptions<S>, 'stream'> = {},
  ): Subscription<S> {
    const subscription = new Subscription<S>(this.#context, { ...options, stream });
    this.#subscriptions.add(subscription as unknown as Subscription<StreamName>);
    subscription.on('state', ({ state }) => {
      if (state === 'closed') this.#subscriptions.delete(subscription as unknown as Subscription<StreamName>);
    });
    return subscription;
  }

  /** LEAP: `callback(event, content)` for every `event` from now on; `replace` swaps the callback of `uid`. */
  register(event: string, callback: LeapCallback, uid: string, replace = false): Promise<void> {
    return this.#leap.register(event, callback, uid, replace);
  }

  /** LEAP: the callback stops at once; the connection narrows its types on its next reconnect. */
  unregister(event: string, uid: string): void {
    this.#leap.unregister(event, uid);
  }

  /** The LEAP connection, to watch its state and signals. */
  get leapSubscription(): Subscription<'events'> | undefined {
    return this.#leap.subscription;
  }

  /** LEAP: one argument is the content; several are sent as the list of them. */
  emit(event: string, ...content: unknown[]): Promise<Emitted> {
    return this.emitWithKey(event, content.length === 1 ? content[0] : content, crypto.randomUUID());
  }

  /** `emit` of one content with the caller's `Idempotency-Key`: the same key again is never a second event. */
  emitWithKey(event: string, content: unknown, idempotencyKey: string): Promise<Emitted> {
    const { ingestUrl } = this.#options;
    if (ingestUrl === undefined) throw new Error('emit needs the ingestUrl option');
    return emitEvent(
      {
        ingestUrl,
        token: this.#options.emitToken,
        fetch: this.#context.fetch,
        backoff: this.#context.backoff,
        attempts: 5,
        timeoutMs: 10_000,
      },
      event,
      content,
      idempotencyKey,
    );
  }

  async close(): Promise<void> {
    this.#detach();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#leap.close();
  }

  /** Browsers: reconnect at once when back online or visible; drop connections when offline. */
  #watchPlatform(): () => void {
    const target = globalThis as unknown as Partial<
      Pick<Window, 'addEventListener' | 'removeEventListener'>
    > & {
      document?: Document;
    };
    if (typeof target.addEventListener !== 'function' || target.document === undefined) return () => {};
    const wake = () => {
      for (const subscription of this.#subscriptions) subscription.wake();
    };
    const offline = () => {
      for (const subscription of this.#subscriptions) subscription.disconnect('offline');
    };
    const visible = () => {
      if (target.document?.visibilityState === 'visible') wake();
    };
    target.addEventListener('online', wake);
    target.addEventListener('offline', offline);
    target.document.addEventListener('visibilitychange', visible);
    return () => {
      target.removeEventListener?.('online', wake);
      target.removeEventListener?.('offline', offline);
      target.document?.removeEventListener('visibilitychange', visible);
    };
  }
}
