/**
 * Client process of bench/scenarios/gateway-soak.bench.ts (run as a child with an IPC channel): holds `count`
 * `valid_blocks` connections that follow the documented resume rule, checks each client's
 * heights are consecutive across every reconnect (no gap, no duplicate), and on the driver's
 * word closes a share of them and reconnects with `since`/`epoch` — the churn a real
 * population of clients makes. Reports its counts when asked.
 */
import WebSocket from 'ws';

interface Start {
  type: 'start';
  url: string;
  epoch: string;
  since: number;
  count: number;
  localAddress: string;
}
type Command = Start | { type: 'churn'; share: number } | { type: 'report' } | { type: 'stop' };

class SoakClient {
  socket: WebSocket | undefined;
  /** The last height this client holds completely. */
  last: number;
  gaps = 0;
  duplicates = 0;
  frames = 0;
  reconnects = 0;
  #closing = false;

  constructor(
    readonly start: Start,
    since: number,
  ) {
    this.last = since;
  }

  connect(): void {
    const socket = new WebSocket(`${this.start.url}?since=${this.last}&epoch=${this.start.epoch}`, {
      localAddress: this.start.localAddress,
    });
    this.socket = socket;
    socket.on('message', (data) => {
      const text = String(data);
      if (text === 'pong') return;
      const height = (JSON.parse(text) as { height: number }).height;
      this.frames += 1;
      if (height <= this.last) this.duplicates += 1;
      else if (height > this.last + 1) this.gaps += height - this.last - 1;
      if (height > this.last) this.last = height;
    });
    socket.on('error', () => undefined);
    socket.on('close', (_code, reason) => {
      const since = /since=(\d+)/.exec(String(reason));
      if (since) this.last = Number(since[1]);
      if (this.#closing) return;
      this.reconnects += 1;
      setTimeout(() => this.connect(), 100 + Math.random() * 400);
    });
  }

  /** Closes the socket the way a client going away does; it reconnects from its position. */
  bounce(): void {
    this.socket?.close(1000);
  }

  stop(): void {
    this.#closing = true;
    this.socket?.terminate();
  }
}

let clients: SoakClient[] = [];

process.on('message', (command: Command) => {
  switch (command.type) {
    case 'start':
      clients = Array.from({ length: command.count }, () => new SoakClient(command, command.since));
      for (const client of clients) client.connect();
      break;
    case 'churn': {
      const n = Math.round(clients.length * command.share);
      for (let i = 0; i < n; i += 1) clients[Math.floor(Math.random() * clients.length)]!.bounce();
      break;
    }
    case 'report': {
      let open = 0;
      let gaps = 0;
      let duplicates = 0;
      let frames = 0;
      let reconnects = 0;
      let lowest = Number.POSITIVE_INFINITY;
      for (const client of clients) {
        if (client.socket?.readyState === WebSocket.OPEN) open += 1;
        gaps += client.gaps;
        duplicates += client.duplicates;
        frames += client.frames;
        reconnects += client.reconnects;
        lowest = Math.min(lowest, client.last);
      }
      process.send?.({ type: 'report', open, gaps, duplicates, frames, reconnects, lowest });
      break;
    }
    case 'stop':
      for (const client of clients) client.stop();
      process.exit(0);
  }
});
