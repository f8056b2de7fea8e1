import type { RpcBlock, RpcBlockResults, RpcStatus } from './rpc-shapes.js';

/** The node did not answer, answered an HTTP error, or answered a JSON-RPC error. */
export class RpcError extends Error {
  override name = 'RpcError';
}

/** CometBFT/Tendermint JSON-RPC over HTTP (URI form), each call bounded by `timeoutMs` and cut short by `signal`. */
export class CometRpc {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal;

  constructor(url: string, timeoutMs: number, signal: AbortSignal) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#signal = signal;
  }

  status(): Promise<RpcStatus> {
    return this.#call<RpcStatus>('status');
  }

  block(height: number): Promise<RpcBlock> {
    return this.#call<RpcBlock>(`block?height=${height}`);
  }

  blockResults(height: number): Promise<RpcBlockResults> {
    return this.#call<RpcBlockResults>(`block_results?height=${height}`);
  }

  async #call<T>(path: string): Promise<T> {
    const url = `${this.#url}/${path}`;
    let body: { result?: T; error?: { code?: number; message?: string; data?: string } };
    try {
      // Stopping the follower must not wait for a node that does not answer.
      const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#signal]);
      const response = await fetch(url, { signal });
      const text = await response.text();
      try {
        body = JSON.parse(text);
      } catch {
        throw new RpcError(`${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
      }
    } catch (error) {
      if (error instanceof RpcError) throw error;
      throw new RpcError(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (body.error !== undefined) {
      const { message, data } = body.error;
      throw new RpcError(`${url}: ${message ?? 'error'}${data ? `: ${data}` : ''}`);
    }
    if (body.result === undefined) throw new RpcError(`${url}: answer has no result`);
    return body.result;
  }
}
