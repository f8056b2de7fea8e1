import uWS from 'uWebSockets.js';

/**
 * The uWebSockets.js package we use silently swaps in a pure-JS `ws` implementation when its
 * native binary does not load (wrong glibc, wrong Node ABI, UWS_USE_FALLBACK). That fallback
 * is an order of magnitude slower and lacks SO_REUSEPORT, so the gateway refuses to run on it
 * unless the operator explicitly allows it.
 */
export type TransportKind = 'native' | 'fallback';

export function detectTransport(module: object = uWS): TransportKind {
  const exports = module as Record<string, unknown>;
  const native =
    typeof exports.getParts === 'function' &&
    typeof exports.SSLApp === 'function' &&
    exports.LIBUS_LISTEN_EXCLUSIVE_PORT !== undefined;
  return native ? 'native' : 'fallback';
}

export class FallbackTransportError extends Error {
  readonly code = 'GATEWAY_FALLBACK_TRANSPORT';
  constructor() {
    super(
      'the native uWebSockets.js binary did not load and the package fell back to its JS implementation; ' +
        'use Node 20 on glibc >= 2.27 (linux x64/arm64), or set GATEWAY_ALLOW_FALLBACK_TRANSPORT=true to run slowly anyway',
    );
    this.name = 'FallbackTransportError';
  }
}

/**
 * What the gateway calls on an app. The fallback shipped with this package version throws
 * "Not implemented" from several of them, so an allowed fallback is probed, not trusted.
 */
export function missingCapabilities(module: object = uWS): string[] {
  const app = (module as { App(): Record<string, (...args: unknown[]) => unknown> }).App();
  const missing: string[] = [];
  const probe = (name: string, call: () => unknown) => {
    try {
      call();
    } catch {
      missing.push(name);
    }
  };
  probe('numSubscribers', () => app.numSubscribers?.('blockcast-probe'));
  probe('publish', () => app.publish?.('blockcast-probe', 'probe', false, false));
  return missing;
}

export class UnusableTransportError extends Error {
  readonly code = 'GATEWAY_TRANSPORT_UNUSABLE';
  constructor(missing: string[]) {
    super(
      `GATEWAY_ALLOW_FALLBACK_TRANSPORT is set, but the uWebSockets.js fallback cannot serve streams: ` +
        `${missing.join(', ')} not implemented in it; run where the native binary loads`,
    );
    this.name = 'UnusableTransportError';
  }
}

/**
 * Returns the transport to run on. Throws when it is the fallback and that is not allowed, or
 * when the allowed fallback lacks what the gateway needs — a gateway that accepts clients and
 * then delivers nothing would be worse than one that does not start.
 */
export function requireTransport(allowFallback: boolean, module: object = uWS): TransportKind {
  const kind = detectTransport(module);
  if (kind === 'native') return kind;
  if (!allowFallback) throw new FallbackTransportError();
  const missing = missingCapabilities(module);
  if (missing.length > 0) throw new UnusableTransportError(missing);
  return kind;
}

/** Turns SO_REUSEPORT off for a listen socket (exported by the native module, absent from its typings). */
export const LISTEN_EXCLUSIVE_PORT: number =
  (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: number }).LIBUS_LISTEN_EXCLUSIVE_PORT ?? 1;

export { uWS };
