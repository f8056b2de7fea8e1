/**
 * A TCP proxy in front of Redis that can hold back Redis's replies: commands still reach Redis
 * and run, but their answers wait — the moment "appended, not yet answered" made to last.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class ReplyHoldingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** While true, replies from Redis are not forwarded. */
  holdReplies = false;

  private constructor(redisPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(redisPort, '127.0.0.1');
      this.#sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.on('data', (chunk) => {
        if (!this.holdReplies) client.write(chunk);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  static async start(redisPort: number): Promise<ReplyHoldingProxy> {
    const proxy = new ReplyHoldingProxy(redisPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
