import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { AcceptGuard } from './accept-guard.js';
import { LISTEN_EXCLUSIVE_PORT, uWS } from './transport.js';

/** The native binding takes (host, port, options, cb); the bundled typings only list (port, options, cb). */
type ListenWithHostAndOptions = {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): void;
};

export interface ListenerOptions {
  host: string;
  /** 0: any free port (kept once bound, so listening again takes the same one). */
  port: number;
  /** Refuse to share the port with another process (no SO_REUSEPORT). */
  exclusivePort: boolean;
  /** The process's open-files limit (undefined: unknown, accepting is never paused). */
  openFilesLimit: number | undefined;
  /** GATEWAY_FD_RESERVE (see AcceptGuard). */
  fdReserve: number;
  /** Whether a listener closed for lack of descriptors may open again (not while draining). */
  mayListen(): boolean;
  /** Accepting stopped (true: descriptors nearly exhausted) or started again (false). */
  onPause(paused: boolean): void;
  onListenFailed(error: unknown): void;
}

/**
 * The app's listening socket: opened at start, closed while file descriptors run out (the
 * AcceptGuard says when) and opened again on the same port when they are free, closed for good
 * at drain.
 */
export class Listener {
  readonly #app: TemplatedApp;
  readonly #options: ListenerOptions;
  readonly #guard: AcceptGuard | undefined;
  #socket: us_listen_socket | undefined;
  #port: number;

  constructor(app: TemplatedApp, options: ListenerOptions) {
    this.#app = app;
    this.#options = options;
    this.#port = options.port;
    const limit = options.openFilesLimit;
    this.#guard =
      limit === undefined
        ? undefined
        : new AcceptGuard({ limit, reserve: options.fdReserve, onChange: (paused) => this.#paused(paused) });
  }

  /** Not accepting because file descriptors are nearly exhausted. */
  get paused(): boolean {
    return this.#guard?.paused === true;
  }

  /** Listens and starts watching descriptors; resolves with the port bound. */
  async start(): Promise<number> {
    const port = await this.#listen();
    this.#guard?.start();
    return port;
  }

  stop(): void {
    this.#guard?.stop();
    this.#close();
  }

  #paused(paused: boolean): void {
    this.#options.onPause(paused);
    if (paused) this.#close();
    else if (this.#options.mayListen() && this.#socket === undefined)
      this.#listen().catch((error: unknown) => this.#options.onListenFailed(error));
  }

  #listen(): Promise<number> {
    const { host } = this.#options;
    return new Promise<number>((resolve, reject) => {
      // Port 0 is always exclusive: with SO_REUSEPORT the kernel may hand out a port another
      // process already shares, and connections would silently split between the two.
      const exclusive = this.#options.exclusivePort || this.#options.port === 0;
      (this.#app as unknown as ListenWithHostAndOptions).listen(
        host,
        this.#port,
        exclusive ? LISTEN_EXCLUSIVE_PORT : 0,
        (socket) => {
          if (!socket) return reject(new Error(`gateway cannot listen on ${host}:${this.#port}`));
          this.#socket = socket;
          this.#port = uWS.us_socket_local_port(socket);
          resolve(this.#port);
        },
      );
    });
  }

  #close(): void {
    if (this.#socket) uWS.us_listen_socket_close(this.#socket);
    this.#socket = undefined;
  }
}
