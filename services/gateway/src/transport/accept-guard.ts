import { closeSync, openSync } from 'node:fs';
import { countOpenFiles } from './open-files.js';

export interface AcceptGuardOptions {
  /** The open-files limit of the process. */
  limit: number;
  /**
   * GATEWAY_FD_RESERVE: accepting stops when fewer than a quarter of it is free and resumes at
   * half; a quarter is held open as spares and handed back when accepting stops.
   */
  reserve: number;
  /** Stop accepting (true) or start again (false). */
  onChange(paused: boolean): void;
  /** Tests count something else than this process's descriptors. */
  count?: () => number | 'exhausted' | undefined;
}

/**
 * Keeps the gateway out of the state where uWS's accept loop spins on EMFILE and not even the
 * probes can be accepted: when descriptors run low it stops accepting (the listener closes, so
 * new connections are refused by the kernel, or go to another gateway on the same port) and
 * starts again once enough are free. uWS takes every free descriptor in one accept burst, so
 * spares held open from the start are closed when accepting stops: they are what /readyz and
 * Redis then have. Counting costs about a microsecond per descriptor, so the interval grows
 * with the count (about 2 % of a core).
 */
export class AcceptGuard {
  readonly #options: AcceptGuardOptions;
  readonly #count: () => number | 'exhausted' | undefined;
  #timer: NodeJS.Timeout | undefined;
  #paused = false;
  readonly #spares: number[] = [];

  constructor(options: AcceptGuardOptions) {
    this.#options = options;
    this.#count = options.count ?? countOpenFiles;
  }

  get paused(): boolean {
    return this.#paused;
  }

  start(): void {
    this.#holdSpares();
    this.#schedule(0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#releaseSpares();
  }

  /** Counts once and pauses or resumes; returns the count (undefined: descriptors cannot be counted here). */
  check(): number | undefined {
    const counted = this.#count();
    if (counted === undefined) return undefined;
    const open = counted === 'exhausted' ? this.#options.limit : counted;
    const free = this.#options.limit - open;
    if (!this.#paused && free < this.#options.reserve / 4) {
      this.#paused = true;
      this.#options.onChange(true);
      this.#releaseSpares();
    } else if (this.#paused && free >= this.#options.reserve / 2 && this.#holdSpares()) {
      this.#paused = false;
      this.#options.onChange(false);
    }
    return open;
  }

  /** True when all spares are held. */
  #holdSpares(): boolean {
    try {
      while (this.#spares.length < this.#options.reserve / 4) this.#spares.push(openSync('/dev/null', 'r'));
      return true;
    } catch {
      return false;
    }
  }

  #releaseSpares(): void {
    for (const fd of this.#spares.splice(0)) closeSync(fd);
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      const open = this.check();
      if (open === undefined) return;
      this.#schedule(Math.max(50, open / 20));
    }, delayMs).unref();
  }
}
