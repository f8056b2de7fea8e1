/**
 * The peers' client protocols for bench/loadgen/loadgen.ts, spoken over its raw RFC 6455 client:
 * Centrifugo's JSON protocol (connect + subscribe, `{}` ping → `{}` pong, recovery by offset and
 * epoch) and Socket.IO over Engine.IO v4 ("0" open, "40" connect, "42[…]" events, "2" → "3",
 * connection state recovery by pid and offset). Frames are the same valid_transactions objects
 * for every server, so a client counts `"height":` keys in what arrives.
 */

/** What a protocol needs from the socket it rides on. */
export interface ProtocolHost {
  sendText(text: string): void;
  /** One delivered frame; true when it completed its height for this client. */
  frame(height: number, arrival: number): boolean;
  /** The client is subscribed (or could not be: `error`). */
  ready(error?: string): void;
  fail(problem: string): void;
}

export interface PeerProtocol {
  /** After the HTTP upgrade. */
  opened(): void;
  /** One text message, bytes [start, end) of `buffer`. */
  message(buffer: Buffer, start: number, end: number, arrival: number): void;
}

/** Where a client resumes from, and what the ones before it learned about the stream. */
export interface ResumeState {
  /** Height the client already holds; 0: a fresh subscriber. */
  since: number;
  txPerBlock: number;
}

const HEIGHT_KEY = Buffer.from('"height":');

/** Calls `visit` with every `"height": N` value in bytes [start, end) (one per frame in the batch). */
export function forEachHeight(
  buffer: Buffer,
  start: number,
  end: number,
  visit: (height: number) => void,
): number {
  let found = 0;
  let at = buffer.indexOf(HEIGHT_KEY, start);
  while (at >= 0 && at < end) {
    let i = at + HEIGHT_KEY.length;
    while (i < end && buffer[i] === 0x20) i++;
    let height = 0;
    const first = i;
    for (; i < end; i++) {
      const digit = buffer[i]! - 48;
      if (digit < 0 || digit > 9) break;
      height = height * 10 + digit;
    }
    if (i > first) {
      visit(height);
      found++;
    }
    at = buffer.indexOf(HEIGHT_KEY, i);
  }
  return found;
}

/** Recovery outcomes over the clients of this process that asked for it. */
export const recovery = { asked: 0, recovered: 0 };

export const CENTRIFUGO_CHANNEL = 'blocks:valid_transactions';

/** Centrifugo's stream epoch, as the latest subscriber saw it (one per channel): a resuming client names it. */
let centrifugoEpoch = '';

export class CentrifugoProtocol implements PeerProtocol {
  #subscribed = false;
  readonly #host: ProtocolHost;
  readonly #resume: ResumeState;

  constructor(host: ProtocolHost, resume: ResumeState) {
    this.#host = host;
    this.#resume = resume;
  }

  opened(): void {
    const { since, txPerBlock } = this.#resume;
    // One publication per frame and a fresh channel: offset = height × frames per block.
    const position =
      since > 0
        ? `,"recover":true,"offset":${since * txPerBlock},"epoch":${JSON.stringify(centrifugoEpoch)}`
        : '';
    if (since > 0) recovery.asked++;
    this.#host.sendText(
      `{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"${CENTRIFUGO_CHANNEL}"${position}}}`,
    );
  }

  message(buffer: Buffer, start: number, end: number, arrival: number): void {
    if (!this.#subscribed) this.#replies(buffer.toString('utf8', start, end));
    forEachHeight(buffer, start, end, (height) => this.#host.frame(height, arrival));
    if (isPing(buffer, start, end)) this.#host.sendText('{}');
  }

  /** Connect and subscribe replies (before the subscription, nothing else arrives: parse them). */
  #replies(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '' || line === '{}') continue;
      const reply = JSON.parse(line) as {
        id?: number;
        error?: { code: number; message: string };
        subscribe?: { epoch?: string; recovered?: boolean };
      };
      if (reply.error !== undefined) {
        this.#host.ready(`centrifugo ${reply.id}: ${reply.error.code} ${reply.error.message}`);
        continue;
      }
      if (reply.subscribe === undefined) continue;
      this.#subscribed = true;
      if (reply.subscribe.epoch !== undefined) centrifugoEpoch = reply.subscribe.epoch;
      if (this.#resume.since > 0 && reply.subscribe.recovered === true) recovery.recovered++;
      this.#host.ready();
    }
  }
}

const PING_LINE = Buffer.from('\n{}\n');

/** Centrifugo's JSON-protocol ping is an empty object: alone, or a line anywhere in a batch of pushes. */
function isPing(buffer: Buffer, start: number, end: number): boolean {
  if (end - start === 2) return buffer[start] === 0x7b && buffer[start + 1] === 0x7d;
  if (buffer[end - 1] === 0x7d && buffer[end - 2] === 0x7b && buffer[end - 3] === 0x0a) return true;
  if (buffer[start] === 0x7b && buffer[start + 1] === 0x7d && buffer[start + 2] === 0x0a) return true;
  // A view, so the search stops at this message's end rather than the read buffer's.
  return buffer.subarray(start, end).indexOf(PING_LINE) >= 0;
}

/** Per height, the stream offset of its last frame, as the first client to complete it saw it. */
const socketIoOffsets: string[] = [];
/** Per client index, the session id Socket.IO gave it: a resuming client presents its predecessor's. */
export const socketIoPids: string[] = [];

export class SocketIoProtocol implements PeerProtocol {
  #pid = '';
  readonly #host: ProtocolHost;
  readonly #resume: ResumeState;
  readonly #index: number;

  constructor(host: ProtocolHost, resume: ResumeState, index: number) {
    this.#host = host;
    this.#resume = resume;
    this.#index = index;
  }

  opened(): void {}

  message(buffer: Buffer, start: number, end: number, arrival: number): void {
    const type = buffer[start];
    if (type === 0x34 && buffer[start + 1] === 0x32) {
      this.#event(buffer, start, end, arrival);
    } else if (type === 0x32) {
      this.#host.sendText('3');
    } else if (type === 0x30) {
      this.#connect();
    } else if (type === 0x34 && buffer[start + 1] === 0x30) {
      this.#connected(buffer.toString('utf8', start + 2, end));
    } else if (type === 0x34) {
      this.#host.fail(`socket.io packet ${buffer.toString('utf8', start, Math.min(end, start + 200))}`);
    }
  }

  /** `42["frame",{…},"<offset>"]`: the offset is the last string of the array. */
  #event(buffer: Buffer, start: number, end: number, arrival: number): void {
    forEachHeight(buffer, start, end, (height) => {
      if (this.#host.frame(height, arrival) && socketIoOffsets[height] === undefined) {
        const close = buffer.lastIndexOf(0x22, end - 1);
        const open = buffer.lastIndexOf(0x22, close - 1);
        socketIoOffsets[height] = buffer.toString('utf8', open + 1, close);
      }
    });
  }

  #connect(): void {
    const { since } = this.#resume;
    const pid = socketIoPids[this.#index];
    if (since > 0 && pid !== undefined && socketIoOffsets[since] !== undefined) {
      recovery.asked++;
      this.#pid = pid;
      this.#host.sendText(`40${JSON.stringify({ pid, offset: socketIoOffsets[since] })}`);
    } else {
      this.#host.sendText('40');
    }
  }

  #connected(json: string): void {
    const reply = JSON.parse(json) as { sid: string; pid?: string };
    if (this.#pid !== '' && reply.pid === this.#pid) recovery.recovered++;
    this.#pid = reply.pid ?? '';
    socketIoPids[this.#index] = this.#pid;
    this.#host.ready();
  }
}
