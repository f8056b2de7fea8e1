/**
 * A WebSocket client made of a plain TCP socket and hand-built frames: for the frames RFC 6455
 * says a server must refuse, which no WebSocket library will send.
 */
import { connect, type Socket } from 'node:net';

export interface FrameOptions {
  fin?: boolean;
  /** RFC 6455 clients must mask every frame; false sends it unmasked. */
  masked?: boolean;
  /** The three reserved bits, as a number 0–7. */
  rsv?: number;
}

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** One frame with `payload` (up to 65 535 bytes). */
export function frame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const { fin = true, masked = true, rsv = 0 } = options;
  const body = Buffer.from(payload);
  const length =
    body.length < 126 ? Buffer.from([body.length]) : Buffer.from([126, body.length >> 8, body.length & 0xff]);
  length[0]! |= masked ? 0x80 : 0;
  const first = Buffer.from([(fin ? 0x80 : 0) | (rsv << 4) | opcode]);
  if (!masked) return Buffer.concat([first, length, body]);
  const maskedBody = Buffer.from(body.map((byte, i) => byte ^ MASK[i % 4]!));
  return Buffer.concat([first, length, MASK, maskedBody]);
}

/** A server frame as received: a close frame's code is undefined when its payload is empty. */
export type ServerFrame = { opcode: number; payload: Buffer; closeCode?: number };

export class RawWebSocket {
  readonly #socket: Socket;
  #received: Buffer = Buffer.alloc(0);
  /** Resolves when the TCP connection ends. */
  readonly ended: Promise<void>;

  private constructor(socket: Socket, rest: Buffer) {
    this.#socket = socket;
    this.#received = rest;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
    });
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Opens `path` with a valid handshake; rejects unless the answer is 101. */
  static open(port: number, path: string): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1').split(' ')[1];
        if (status !== '101') return reject(new Error(`upgrade answered ${status}`));
        resolve(new RawWebSocket(socket, head.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.on('error', reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
  }

  get open(): boolean {
    return !this.#socket.destroyed && !this.#socket.readableEnded;
  }

  send(...frames: Buffer[]): void {
    for (const bytes of frames) this.#socket.write(bytes);
  }

  /** Frames received so far (unmasked server frames with payloads under 64 KiB). */
  frames(): ServerFrame[] {
    const frames: ServerFrame[] = [];
    let at = 0;
    const data = this.#received;
    while (at + 2 <= data.length) {
      const opcode = data[at]! & 0x0f;
      let length = data[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        length = data.readUInt16BE(at + 2);
        start += 2;
      }
      if (start + length > data.length) break;
      const payload = data.subarray(start, start + length);
      frames.push({
        opcode,
        payload,
        ...(opcode === 8 && length >= 2 ? { closeCode: payload.readUInt16BE(0) } : {}),
      });
      at = start + length;
    }
    return frames;
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
