import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why not, for the probe's body and the operator reading it. */
  reason?: string;
}

export interface OpsChecks {
  /** Dependencies reachable and not draining: whether a load balancer should send traffic here. */
  ready(): Promise<Readiness>;
}

/**
 * /healthz, /readyz and /metrics on a port of their own, so probes and scrapes never compete
 * with client traffic and can stay private to the cluster (architecture §8).
 */
export class OpsServer {
  readonly #server: Server;

  constructor(registry: Registry, checks: OpsChecks) {
    this.#server = createServer((request, response) => {
      const reply = (status: number, type: string, body: string) => {
        if (!response.headersSent) response.writeHead(status, { 'content-type': type }).end(body);
      };
      answer(request.url ?? '/', registry, checks, reply).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        reply(500, 'application/json', JSON.stringify({ code: 'INTERNAL', message }));
      });
    });
  }

  /** Resolves with the port actually bound (0 picks a free one). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve((this.#server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function answer(
  url: string,
  registry: Registry,
  checks: OpsChecks,
  reply: (status: number, type: string, body: string) => void,
): Promise<void> {
  const path = url.split('?')[0];
  if (path === '/healthz') return reply(200, 'application/json', '{"status":"ok"}');
  if (path === '/readyz') {
    const { ready, reason } = await checks.ready();
    const body = ready ? { status: 'ready' } : { status: 'not ready', reason };
    return reply(ready ? 200 : 503, 'application/json', JSON.stringify(body));
  }
  if (path === '/metrics') return reply(200, registry.contentType, await registry.metrics());
  reply(404, 'application/json', '{"code":"NOT_FOUND","message":"try /healthz, /readyz or /metrics"}');
}
