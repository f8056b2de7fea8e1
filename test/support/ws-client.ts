/**
 * A real WebSocket client (the `ws` package over a real socket) that records what arrives,
 * so tests can wait for frames and compare them exactly.
 */
import WebSocket from 'ws';

export interface ClosedWith {
  code: number;
  reason: string;
}

export class RecordingClient {
  readonly frames: string[] = [];
  readonly closed: Promise<ClosedWith>;
  /** The headers of the 101 answer. */
  upgradeHeaders: Record<string, string | string[] | undefined> = {};
  private waiters: { count: number; resolve: () => void }[] = [];
  /** Set once the socket has closed: a wait for frames that cannot come any more fails at once, naming the close. */
  private closedWith: ClosedWith | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? `<binary ${String(data)}>` : String(data));
      this.waiters = this.waiters.filter((waiter) => {
        if (this.frames.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
    socket.once('upgrade', (response) => {
      this.upgradeHeaders = response.headers;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
      });
    });
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<RecordingClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new RecordingClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
      });
    });
  }

  /**
   * Resolves when at least `count` frames have arrived; rejects after `timeoutMs`, or as soon as
   * the socket closes short of them (the error names the close code and reason).
   */
  waitForFrames(count: number, timeoutMs = 10_000): Promise<string[]> {
    if (this.frames.length >= count) return Promise.resolve(this.frames);
    const short = (closed: ClosedWith) =>
      new Error(
        `closed with ${closed.code} "${closed.reason}" after ${this.frames.length} of ${count} frames`,
      );
    if (this.closedWith) return Promise.reject(short(this.closedWith));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out with ${this.frames.length} of ${count} frames`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.frames);
        },
      });
      void this.closed.then((closed) => {
        // Frames that arrived with the close have already resolved the wait.
        if (this.frames.length >= count) return;
        clearTimeout(timer);
        reject(short(closed));
      });
    });
  }

  /** Heights of the frames received, for streams whose frames carry one. */
  heights(): number[] {
    return this.frames.map((frame) => JSON.parse(frame).height as number);
  }

  /** Stops reading from the socket: the server's queue for it grows (a paused or stalled reader). */
  pause(): void {
    (this.socket as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  resume(): void {
    (this.socket as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  close(): Promise<ClosedWith> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close();
    return this.closed;
  }
}

/** Attempts an upgrade that the server should refuse; returns its HTTP status, JSON body and headers. */
export function refusedUpgrade(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => {
      socket.close();
      reject(new Error(`upgrade to ${url} was accepted`));
    });
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), headers: response.headers }),
      );
    });
    socket.once('error', () => {});
  });
}
