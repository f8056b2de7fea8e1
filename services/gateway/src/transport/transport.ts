import type * as UWS from 'uWebSockets.js';
import { createRequire } from 'node:module';

/**
 * Two builds of uWebSockets.js, tried in this order (deploy/uws-binaries.json records both):
 * `uWebSockets.js-v20.57` (@btc-vision/uwebsockets.js, upstream release 20.57.0: Node 20-25, glibc
 * >= 2.38 — the image, Node 24 on Debian 13) throws when its binary does not load; `uWebSockets.js`
 * (@trufflesuite/uws-js-unofficial: Node <= 20, glibc >= 2.27 — a Debian 12 host) silently swaps
 * in a pure-JS `ws` implementation instead. That fallback is an order of magnitude slower and
 * lacks SO_REUSEPORT, so the gateway refuses to run on it unless the operator explicitly allows it.
 */
export const UWS_PACKAGES = ['uWebSockets.js-v20.57', 'uWebSockets.js'] as const;

export type UwsPackage = (typeof UWS_PACKAGES)[number];

export type TransportKind = 'native' | 'fallback';

export function detectTransport(module: object = uWS): TransportKind {
  const exports = module as Record<string, unknown>;
  const native =
    typeof exports.getParts === 'function' &&
    typeof exports.SSLApp === 'function' &&
    exports.LIBUS_LISTEN_EXCLUSIVE_PORT !== undefined;
  return native ? 'native' : 'fallback';
}

const require = createRequire(import.meta.url);

/**
 * The request line and headers uWS accepts. 20.57 answers 431 above UWS_HTTP_MAX_HEADERS_SIZE,
 * 4 KiB by default — less than a query filtering on MAX_FILTER_VALUES keys needs; it reads the
 * variable when its binary loads, so it is set before. (The Node 20 build has no such limit.)
 */
export const MAX_REQUEST_HEAD_BYTES = 32 * 1024;
process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(MAX_REQUEST_HEAD_BYTES);

/** The first package whose native binary loads; else the last one, whose JS fallback is then refused or probed. */
function loadUws(): { module: typeof UWS; from: UwsPackage } {
  for (const from of UWS_PACKAGES.slice(0, -1)) {
    try {
      const module = require(from) as typeof UWS;
      if (detectTransport(module) === 'native') return { module, from };
    } catch {
      // Wrong Node ABI, older glibc, or not installed: the next package may load.
    }
  }
  const from = UWS_PACKAGES[UWS_PACKAGES.length - 1] as UwsPackage;
  return { module: require(from) as typeof UWS, from };
}

const loaded = loadUws();
const uWS = loaded.module;

/** Which of UWS_PACKAGES the gateway runs on (a test checks its binary against deploy/uws-binaries.json). */
export const UWS_LOADED_FROM: UwsPackage = loaded.from;

/**
 * What a uWS build does with a request head before the gateway sees it: fixed when the binary was
 * compiled (20.57's head buffer excepted, set above), measured on loopback, pinned by
 * test/gateway/handshake-limits.test.ts and connection-policy.test.ts, told in docs/protocol.md.
 */
export interface UwsHeadLimits {
  /** The largest head it hands on when the head arrives in one read. */
  wholeHeadBytes: number;
  /** The largest head it collects across several reads. */
  piecedHeadBytes: number;
  /** Header fields (the request line not counted) a head may have and still be handed on. */
  maxHeaderFields: number;
  /**
   * Past a limit: `cut` closes without an answer (more fields than it keeps: no answer, closed at
   * its HTTP timeout unless the head buffer fills first); `html-431` answers its own 431 with an
   * HTML body and closes.
   */
  past: 'cut' | 'html-431';
  /** Its HTTP timeout: a connection without a complete request by then is closed (checked every 4 s). */
  httpTimeoutS: number;
}

export const UWS_HEAD_LIMITS: Record<UwsPackage, UwsHeadLimits> = {
  // One read of about 128 KB on loopback is handed on whole; 100 000 bytes always were.
  'uWebSockets.js': {
    wholeHeadBytes: 100_000,
    piecedHeadBytes: 4096,
    maxHeaderFields: 48,
    past: 'cut',
    httpTimeoutS: 10,
  },
  'uWebSockets.js-v20.57': {
    wholeHeadBytes: MAX_REQUEST_HEAD_BYTES,
    piecedHeadBytes: MAX_REQUEST_HEAD_BYTES,
    maxHeaderFields: 98,
    past: 'html-431',
    httpTimeoutS: 30,
  },
};

export class FallbackTransportError extends Error {
  readonly code = 'GATEWAY_FALLBACK_TRANSPORT';
  constructor() {
    super(
      'the native uWebSockets.js binary did not load and the package fell back to its JS implementation; ' +
        'use Node 24 on glibc >= 2.38 or Node 20 on glibc >= 2.27 (linux x64/arm64), or set GATEWAY_ALLOW_FALLBACK_TRANSPORT=true to run slowly anyway',
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
