import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { TooManyHeaderFieldsError } from './http-client-errors.js';
import { type HttpLimits, MAX_REQUEST_HEADER_FIELDS } from './http-limits.js';
import { type OpsChecks, OpsServer } from './ops-server.js';

/**
 * How long after the grace the process may still take: the service cuts what is left at the
 * grace, then closes the ops port; give closeOnSignals the grace plus this.
 */
export const SHUTDOWN_BACKSTOP_MS = 2000;

export interface HttpServiceOptions {
  /** Built with {@link fastifyLimitOptions} of `limits`; its routes are the public API. */
  fastify: FastifyInstance;
  registry: Registry;
  /** Whether the service's dependencies answer; draining and starting are answered here. */
  checks: OpsChecks;
  host: string;
  port: number;
  opsPort: number;
  limits: HttpLimits;
  /** In-flight requests get this long on close(); then their connections are cut. */
  shutdownGraceMs: number;
  /** Runs once the API port has closed and before the ops port does (ingest: appends in flight). */
  afterDrain?: () => Promise<void>;
}

/**
 * The lifecycle ingest and discovery share: listen on the API port, then the ops port; on close,
 * readiness off, stop accepting, close idle keep-alive connections and tell in-flight ones
 * `connection: close`, drain within the grace (then cut what is left), the ops port last, so
 * probes see 503 draining rather than a refusal until the end.
 */
export class HttpService {
  readonly #options: HttpServiceOptions;
  readonly #ops: OpsServer;
  #listening = false;
  #draining = false;
  #closed: Promise<void> | undefined;

  constructor(options: HttpServiceOptions) {
    this.#options = options;
    const { fastify, limits, checks } = options;
    fastify.server.maxConnections = limits.maxConnections;
    fastify.addHook('onRequest', (request, _reply, done) => {
      done(
        request.raw.rawHeaders.length / 2 > MAX_REQUEST_HEADER_FIELDS
          ? new TooManyHeaderFieldsError()
          : undefined,
      );
    });
    // Without this, a keep-alive client whose request is in flight at close keeps close() waiting.
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.#draining) reply.header('connection', 'close');
      done(null, payload);
    });
    this.#ops = new OpsServer(options.registry, {
      ready: async () => {
        if (this.#draining) return { ready: false, reason: 'draining' };
        if (!this.#listening) return { ready: false, reason: 'starting' };
        const readiness = await checks.ready();
        // Closing may have started while the check was out.
        return this.#draining ? { ready: false, reason: 'draining' } : readiness;
      },
    });
  }

  /** True from the moment close() is called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Listens on the API port, then the ops port; resolves with the API's URL and the ops port bound. */
  async start(): Promise<{ url: string; opsPort: number }> {
    const { fastify, host, port, opsPort } = this.#options;
    await fastify.listen({ host, port });
    let boundOps: number;
    try {
      boundOps = await this.#ops.listen(host, opsPort);
    } catch (error) {
      // Not half started: an API port without probes would never be taken out of rotation.
      await fastify.close();
      throw error;
    }
    this.#listening = true;
    return { url: reachableUrl(fastify.server.address() as AddressInfo), opsPort: boundOps };
  }

  /** Idempotent; see the class comment for the order. */
  close(): Promise<void> {
    this.#draining = true;
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const { fastify, shutdownGraceMs, afterDrain } = this.#options;
    const graceOver = performance.now() + shutdownGraceMs;
    const cut = setTimeout(() => fastify.server.closeAllConnections(), shutdownGraceMs);
    cut.unref();
    try {
      await fastify.close();
    } finally {
      clearTimeout(cut);
    }
    // The grace bounds the whole drain: what afterDrain still waits for past it is given up.
    if (afterDrain !== undefined) await withinMs(afterDrain(), graceOver - performance.now());
    await this.#ops.close();
  }
}

/** Waits for `work` at most `ms` (its failure is the caller's to log, not a reason to stay open). */
async function withinMs(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([work.catch(() => {}), over]);
  } finally {
    clearTimeout(timer);
  }
}

/** A wildcard bind address is not something to connect to: use loopback of the same family. */
function reachableUrl(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  return `http://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`;
}
