/** Raw TCP peers of an HTTP server: idle ones, and ones that trickle a request a byte at a time. */
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent. */
  readonly received: string;
  /** Resolves, with the milliseconds since connecting, when the server has closed the connection. */
  closed: Promise<number>;
}

/** A connection to 127.0.0.1:`port` that sends nothing until told to. */
export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const opened = performance.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    // A reset is a close too: the server cut the connection.
    socket.on('error', () => {});
    const closed = new Promise<number>((done) =>
      socket.once('close', () => done(performance.now() - opened)),
    );
    socket.once('connect', () =>
      resolve({
        socket,
        get received() {
          return received;
        },
        closed,
      }),
    );
    socket.once('error', reject);
  });
}

/** `count` idle connections, opened a batch at a time so the accept queue never overflows. */
export async function openIdle(port: number, count: number, batch = 100): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    connections.push(...(await Promise.all(Array.from({ length: size }, () => openRaw(port)))));
  }
  return connections;
}

/** Writes `text` one byte every `intervalMs` until it is all sent or the server closes the connection. */
export async function trickle(connection: RawConnection, text: string, intervalMs: number): Promise<number> {
  let ended = false;
  void connection.closed.then(() => {
    ended = true;
  });
  let sent = 0;
  for (const byte of text) {
    if (ended || connection.socket.destroyed) break;
    connection.socket.write(byte);
    sent++;
    await delay(intervalMs);
  }
  return sent;
}

/** Whether every connection has been closed within `ms`. */
export async function allClosedWithin(connections: RawConnection[], ms: number): Promise<boolean> {
  const deadline = delay(ms).then(() => false);
  const all = Promise.all(connections.map((connection) => connection.closed)).then(() => true);
  return Promise.race([all, deadline]);
}

export function destroyAll(connections: RawConnection[]): void {
  for (const connection of connections) connection.socket.destroy();
}
