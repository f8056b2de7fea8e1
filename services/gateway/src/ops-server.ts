import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsChecks {
  /** Ready to take connections: bus reachable, tail running, not draining. */
  ready(): Promise<{ ready: boolean; reason?: string }>;
}

/**
 * /healthz, /readyz and /metrics on their own port, so probes and scrapes never compete with
 * WebSocket upgrades and can stay private to the cluster.
 */
export class OpsServer {
  private readonly server: Server;

  constructor(registry: Registry, checks: OpsChecks) {
    this.server = createServer(async (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const reply = (status: number, type: string, body: string) => {
        response.writeHead(status, { 'content-type': type }).end(body);
      };
      if (path === '/healthz') return reply(200, 'application/json', '{"status":"ok"}');
      if (path === '/readyz') {
        const { ready, reason } = await checks.ready();
        return reply(
          ready ? 200 : 503,
          'application/json',
          JSON.stringify(ready ? { status: 'ready' } : { status: 'not ready', reason }),
        );
      }
      if (path === '/metrics') return reply(200, registry.contentType, await registry.metrics());
      reply(404, 'application/json', '{"code":"NOT_FOUND","message":"try /healthz, /readyz or /metrics"}');
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
