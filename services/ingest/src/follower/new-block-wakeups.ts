import { sleep } from '@blockcast/common';
import { cappedBackoff } from '@blockcast/protocol';
import WebSocket from 'ws';

const SUBSCRIBE = JSON.stringify({
  jsonrpc: '2.0',
  id: 'blockcast-follower',
  method: 'subscribe',
  params: { query: "tm.event='NewBlock'" },
});
const FIRST_RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 10_000;

/**
 * The node's NewBlock subscription, used only to wake the follower early: events carry no data
 * the follower trusts (BigchainDB dropped the events API for losing events), every height is
 * still fetched over RPC. Reconnects with doubling waits; lost events cost one poll interval at most.
 */
export class NewBlockWakeups {
  readonly #url: string;
  readonly #onError: (error: unknown) => void;
  #waiters = new Set<() => void>();

  /** `rpcUrl` is the node's HTTP RPC; the subscription is on `<rpcUrl>/websocket`. */
  constructor(rpcUrl: string, onError: (error: unknown) => void) {
    this.#url = `${rpcUrl.replace(/^http/, 'ws')}/websocket`;
    this.#onError = onError;
  }

  /** Keeps a subscription open until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const subscribed = await this.#subscribeOnce(signal);
      failures = subscribed ? 1 : failures + 1;
      await sleep(cappedBackoff(failures, FIRST_RECONNECT_MS, MAX_RECONNECT_MS), signal);
    }
  }

  /** Resolves on the next NewBlock event, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** One connection's life; true when it got as far as an answer to the subscription. */
  #subscribeOnce(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let answered = false;
      const socket = new WebSocket(this.#url);
      const onAbort = () => socket.terminate();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.on('open', () => socket.send(SUBSCRIBE));
      socket.on('message', (data) => {
        answered = true;
        // The subscription's confirmation has an empty result; events carry `result.data`.
        if (String(data).includes('"data"')) for (const wake of [...this.#waiters]) wake();
      });
      socket.on('error', (error) => this.#onError(error));
      socket.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(answered);
      });
    });
  }
}
