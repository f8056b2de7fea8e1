/**
 * Load generator for bench/scenarios/gateway-fanout.bench.ts, run as a child process with an IPC channel.
 * Holds many `valid_transactions` subscribers, checks per client that every frame arrives
 * exactly once and in order (heights 1..last, txPerBlock frames each), and records end-to-end
 * latency from the moment the driver appended the block (its monotonic time arrives over IPC;
 * CLOCK_MONOTONIC is one clock for every process) to the moment the frame's bytes were read.
 *
 * The default `raw` client is a minimal RFC 6455 client on `net.Socket` (handshake, unmasked
 * server frames, pong on ping): a block's frames usually arrive as one read, parsed in one
 * loop without building strings, so the generator stays far cheaper than the servers. `ws`
 * uses the `ws` package instead (one 'message' event per frame), as a cross-check.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import type { GeneratorCommand, GeneratorMessage } from '../harness/messages.js';
import { monotonicMs } from '../harness/proc.js';
import {
  CentrifugoProtocol,
  type PeerProtocol,
  type ProtocolHost,
  recovery,
  SocketIoProtocol,
} from './protocols.js';

/** performance.now() is libuv's monotonic clock too; this turns it into monotonicMs() without a BigInt per read. */
const CLOCK_OFFSET = clockOffset();
function clockOffset(): number {
  // The first calls of either clock are slow (lazy set-up) and would skew a single pair by ms.
  const offsets: number[] = [];
  for (let i = 0; i < 50; i++) {
    const before = performance.now();
    const monotonic = monotonicMs();
    const after = performance.now();
    offsets.push(monotonic - (before + after) / 2);
  }
  return offsets.slice(10).sort((a, b) => a - b)[20]!;
}
const now = () => performance.now() + CLOCK_OFFSET;
/** One read buffer for every raw socket: `onread` hands bytes over without stream machinery. */
const READ_BUFFER = Buffer.alloc(256 * 1024);

type ConnectCommand = Extract<GeneratorCommand, { type: 'connect' }>;

const HEIGHT_PREFIX = Buffer.from('{"height":');
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
const histogram = newHistogram();
/** One histogram per latency phase (settings.phaseStarts), fed alongside the overall one. */
let phaseHistograms = [histogram];
/** With settings.blockLatency: one coarse histogram per height, for per-block percentiles. */
const blockHistograms = new Map<number, hdr.Histogram>();
const newBlockHistogram = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 2,
  });
/** Monotonic ms at which the driver appended each height (NaN until told). */
let sentAt = new Float64Array(0);
/** Per height, the earliest arrival in this process: when the first subscriber had the block. */
let firstArrival = new Float64Array(0);
/** Arrivals whose send time had not come over IPC yet: [height, arrival ms] pairs. */
const early: number[] = [];
let settings: ConnectCommand | undefined;
/** Highest height the driver announced: frames of heights up to it that never came are lost. */
let announcedHeight = 0;
let totalFrames = 0;
let lastArrivalMs = 0;
const problems: string[] = [];

function note(problem: string): void {
  if (problems.length < 20) problems.push(problem);
}

/** Latency of `count` frames of one height that arrived together. */
function record(height: number, arrival: number, count: number): void {
  if (height <= settings!.warmupHeights || height >= sentAt.length) return;
  if (!(arrival >= firstArrival[height]!)) firstArrival[height] = arrival;
  const sent = sentAt[height]!;
  if (Number.isNaN(sent)) {
    for (let i = 0; i < count; i++) early.push(height, arrival);
    return;
  }
  const value = Math.max(1, Math.round((arrival - sent) * 1000));
  histogram.recordValueWithCount(value, count);
  if (phaseHistograms.length > 1) phaseHistograms[phaseOf(height)]!.recordValueWithCount(value, count);
  if (settings!.blockLatency) {
    let block = blockHistograms.get(height);
    if (block === undefined) {
      block = newBlockHistogram();
      blockHistograms.set(height, block);
    }
    block.recordValueWithCount(value, count);
  }
}

/** Index of the latency phase a height belongs to: how many phase starts are at or below it. */
function phaseOf(height: number): number {
  const starts = settings!.phaseStarts ?? [];
  let phase = 0;
  while (phase < starts.length && height >= starts[phase]!) phase++;
  return phase;
}

/** Frames of one height read at one instant are recorded as one histogram entry with a count. */
let batchHeight = -1;
let batchArrival = 0;
let batchCount = 0;
function flushBatch(): void {
  if (batchCount > 0) record(batchHeight, batchArrival, batchCount);
  batchCount = 0;
}

/** Per-client delivery check: heights contiguous from 1, txPerBlock frames each, nothing twice. */
class Delivery {
  frames = 0;
  lastHeight: number;
  atHeight: number;
  errors = 0;
  closedByServer = false;
  /** Cleared when the client is paused: its latency would measure the pause, not the server. */
  timed = true;
  paused = false;
  /** Frames per height, for lost / duplicated counts; heights at or below `since` are not expected. */
  readonly counts: Uint16Array;
  readonly since: number;
  /** Frames that arrived after a frame of a later height. */
  reordered = 0;
  #highest: number;

  /** A resuming client starts after `since`, as if it held every frame up to it. */
  constructor(since = 0) {
    this.since = since;
    this.lastHeight = since;
    this.#highest = since;
    this.atHeight = since === 0 ? 0 : settings!.txPerBlock;
    this.counts = new Uint16Array(settings!.lastHeight + 2);
  }

  /** Frames of heights (since, upTo] that never came, and frames beyond their height's share. */
  losses(upTo: number): { lost: number; duplicated: number } {
    const perBlock = settings!.txPerBlock;
    let lost = 0;
    let duplicated = 0;
    for (let height = this.since + 1; height <= upTo; height++) {
      const count = this.counts[height]!;
      if (count < perBlock) lost += perBlock - count;
      else duplicated += count - perBlock;
    }
    for (let height = upTo + 1; height < this.counts.length; height++) duplicated += this.counts[height]!;
    return { lost, duplicated };
  }

  /** Heights up to this one are complete (every frame of them arrived). */
  get settledHeight(): number {
    return this.atHeight === settings!.txPerBlock ? this.lastHeight : this.lastHeight - 1;
  }

  /** Returns whether this frame completed its height. */
  frame(height: number, arrival: number): boolean {
    const perBlock = settings!.txPerBlock;
    this.frames++;
    totalFrames++;
    lastArrivalMs = arrival;
    if (height < this.counts.length) this.counts[height]!++;
    if (height < this.#highest) this.reordered++;
    else this.#highest = height;
    if (this.timed) this.#batch(height, arrival);
    if (height === this.lastHeight) {
      this.atHeight++;
      if (this.atHeight > perBlock) this.fail(`height ${height}: more than ${perBlock} frames`);
      return this.atHeight === perBlock;
    }
    if (height !== this.lastHeight + 1) this.fail(`height ${height} after ${this.lastHeight}`);
    else if (this.lastHeight > 0 && this.atHeight !== perBlock)
      this.fail(`height ${this.lastHeight}: ${this.atHeight} of ${perBlock} frames`);
    this.lastHeight = height;
    this.atHeight = 1;
    return perBlock === 1;
  }

  #batch(height: number, arrival: number): void {
    if (height === batchHeight && arrival === batchArrival) {
      batchCount++;
      return;
    }
    flushBatch();
    batchHeight = height;
    batchArrival = arrival;
    batchCount = 1;
  }

  fail(problem: string): void {
    this.errors++;
    note(problem);
  }

  get complete(): boolean {
    const { lastHeight, txPerBlock } = settings!;
    return this.errors === 0 && this.lastHeight === lastHeight && this.atHeight === txPerBlock;
  }
}

/** Height of a `{"height": H, …}` frame (Python json.dumps spacing or none), or -1. */
function heightOf(buffer: Buffer, start: number, end: number): number {
  if (end - start < HEIGHT_PREFIX.length + 1 || buffer.compare(HEIGHT_PREFIX, 0, 10, start, start + 10) !== 0)
    return -1;
  let i = start + 10;
  while (i < end && buffer[i] === 0x20) i++;
  const first = i;
  let height = 0;
  for (; i < end; i++) {
    const digit = buffer[i]! - 48;
    if (digit < 0 || digit > 9) return i === first ? -1 : height;
    height = height * 10 + digit;
  }
  return -1;
}

class RawClient {
  readonly delivery = new Delivery(settings!.since);
  open = false;
  private pending: Buffer | undefined;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private readonly settle: (error?: string) => void;
  /** A peer's protocol on top of WebSocket; undefined: blockcast's (frames as they are). */
  private readonly protocol: PeerProtocol | undefined;

  constructor(url: URL, localAddress: string, index: number, onOpen: (error?: string) => void) {
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(readyTimer);
      onOpen(error);
    };
    // A peer that upgrades but never confirms the subscription must not hold the connect loop.
    const readyTimer = setTimeout(() => {
      settle('no subscription within 60 s');
      this.socket.destroy();
    }, 60_000);
    this.settle = settle;
    this.protocol = this.peerProtocol(index);
    this.socket = connect({
      host: url.hostname,
      port: Number(url.port),
      localAddress,
      onread: { buffer: READ_BUFFER, callback: (bytes) => this.read(READ_BUFFER.subarray(0, bytes)) },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => settle(error.message));
    this.socket.on('close', () => {
      if (this.open) this.delivery.closedByServer = true;
      this.open = false;
      settle('closed before the upgrade');
    });
  }

  private peerProtocol(index: number): PeerProtocol | undefined {
    const kind = settings!.clientKind;
    if (kind !== 'centrifugo' && kind !== 'socketio') return undefined;
    const host: ProtocolHost = {
      sendText: (text) => this.sendText(text),
      frame: (height, arrival) => this.delivery.frame(height, arrival),
      ready: (error) => {
        this.settle(error);
        if (error !== undefined) this.socket.destroy();
      },
      fail: (problem) => this.delivery.fail(problem),
    };
    const resume = { since: settings!.since ?? 0, txPerBlock: settings!.txPerBlock };
    return kind === 'centrifugo'
      ? new CentrifugoProtocol(host, resume)
      : new SocketIoProtocol(host, resume, index);
  }

  /** One text frame, masked with a zero key (client frames must be masked). */
  private sendText(text: string): void {
    const payload = Buffer.from(text);
    const length = payload.length;
    const header = length < 126 ? 6 : length < 65_536 ? 8 : 14;
    const frame = Buffer.alloc(header + length);
    frame[0] = 0x81;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    payload.copy(frame, header);
    this.socket.write(frame);
  }

  /** `chunk` is a view of the shared read buffer: whatever is kept past this call is copied. */
  private read(chunk: Buffer): boolean {
    const arrival = now();
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    if (!this.open) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(buffer);
        return true;
      }
      const head = buffer.toString('latin1', 0, end);
      const accept = createHash('sha1').update(`${this.key}${WS_GUID}`).digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
        this.settle(head.split('\r\n')[0]);
        this.socket.destroy();
        return false;
      }
      this.open = true;
      if (this.protocol === undefined) this.settle();
      else this.protocol.opened();
      buffer = buffer.subarray(end + 4);
    }
    this.parse(buffer, arrival);
    flushBatch();
    return true;
  }

  private parse(buffer: Buffer, arrival: number): void {
    let offset = 0;
    while (buffer.length - offset >= 2) {
      const first = buffer[offset]!;
      const second = buffer[offset + 1]!;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buffer.length - offset < 4) break;
        length = buffer.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (buffer.length - offset < 10) break;
        length = Number(buffer.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (second & 0x80) this.delivery.fail('masked frame from the server');
      if (buffer.length - offset < header + length) break;
      const start = offset + header;
      const end = start + length;
      const opcode = first & 0x0f;
      if (opcode === 1) {
        if ((first & 0x80) === 0) this.delivery.fail('fragmented frame');
        if (this.protocol !== undefined) {
          this.protocol.message(buffer, start, end, arrival);
          offset = end;
          continue;
        }
        const height = heightOf(buffer, start, end);
        if (height < 0) this.delivery.fail(`unexpected frame ${buffer.toString('utf8', start, end)}`);
        else this.delivery.frame(height, arrival);
      } else if (opcode === 9) {
        // Pong with the ping's payload, masked with a zero key (client frames must be masked).
        const pong = Buffer.alloc(6 + length);
        pong[0] = 0x8a;
        pong[1] = 0x80 | length;
        buffer.copy(pong, 6, start, end);
        this.socket.write(pong);
      } else if (opcode === 8) {
        const code = length >= 2 ? buffer.readUInt16BE(start) : 1005;
        this.delivery.fail(`closed by the server: ${code} ${buffer.toString('utf8', start + 2, end)}`);
      } else if (opcode !== 10) {
        this.delivery.fail(`opcode ${opcode}`);
      }
      offset = end;
    }
    if (offset < buffer.length) this.pending = Buffer.from(buffer.subarray(offset));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }
}

class WsClient {
  readonly delivery = new Delivery(settings!.since);
  open = false;
  private readonly socket: WebSocket;

  constructor(url: URL, localAddress: string, onOpen: (error?: string) => void) {
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      onOpen(error);
    };
    this.socket = new WebSocket(url, { localAddress, perMessageDeflate: false });
    this.socket.on('open', () => {
      this.open = true;
      settle();
    });
    this.socket.on('message', (data: Buffer, isBinary) => {
      const height = isBinary ? -1 : heightOf(data, 0, data.length);
      if (height < 0) this.delivery.fail(`unexpected frame ${data.toString()}`);
      else this.delivery.frame(height, now());
      flushBatch();
    });
    this.socket.on('error', (error) => settle(error.message));
    this.socket.on('close', (code, reason) => {
      if (this.open) {
        this.delivery.closedByServer = true;
        this.delivery.fail(`closed by the server: ${code} ${reason.toString()}`);
      }
      this.open = false;
      settle('closed before the upgrade');
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.terminate();
  }
}

type Client = RawClient | WsClient;
let clients: Client[] = [];

function send(message: GeneratorMessage): void {
  process.send!(message);
}

async function connectAll(command: ConnectCommand): Promise<void> {
  settings = command;
  // A second connect (clients resuming) keeps the send times already announced.
  if (sentAt.length !== command.lastHeight + 1) {
    sentAt = new Float64Array(command.lastHeight + 1).fill(Number.NaN);
    firstArrival = new Float64Array(command.lastHeight + 1).fill(Number.NaN);
  }
  if (phaseHistograms.length === 1 && (command.phaseStarts?.length ?? 0) > 0)
    phaseHistograms = Array.from({ length: command.phaseStarts!.length + 1 }, newHistogram);
  const started = performance.now();
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < command.count) {
      const index = next++;
      const url = new URL(command.urls[index % command.urls.length]!);
      const localAddress = command.localAddresses[index % command.localAddresses.length]!;
      await new Promise<void>((resolve) => {
        const onOpen = (error?: string) => {
          if (error !== undefined) {
            failed++;
            if (errors.length < 10) errors.push(`${localAddress} → ${url.host}: ${error}`);
          }
          resolve();
        };
        clients.push(
          command.clientKind === 'ws'
            ? new WsClient(url, localAddress, onOpen)
            : new RawClient(url, localAddress, index, onOpen),
        );
      });
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  const open = clients.filter((client) => client.open).length;
  send({ type: 'connected', open, failed, errors, seconds: (performance.now() - started) / 1000 });
}

function progress(): GeneratorMessage {
  let settledHeightMin = Number.POSITIVE_INFINITY;
  let open = 0;
  for (const client of clients) {
    if (!client.open) continue;
    open++;
    settledHeightMin = Math.min(settledHeightMin, client.delivery.settledHeight);
  }
  return { type: 'progress', frames: totalFrames, settledHeightMin: open === 0 ? 0 : settledHeightMin, open };
}

function report(): void {
  let complete = 0;
  let orderErrors = 0;
  let incomplete = 0;
  let closedByServer = 0;
  let lastHeightMin = Number.POSITIVE_INFINITY;
  let lastHeightMax = 0;
  const paused = { clients: 0, complete: 0, orderErrors: 0, closedByServer: 0 };
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  for (const { delivery } of clients) {
    const losses = delivery.losses(announcedHeight);
    lost += losses.lost;
    duplicated += losses.duplicated;
    reordered += delivery.reordered;
    if (delivery.paused) {
      paused.clients++;
      if (delivery.complete) paused.complete++;
      if (delivery.errors > 0) paused.orderErrors++;
      if (delivery.closedByServer) paused.closedByServer++;
    }
    if (delivery.complete) complete++;
    if (delivery.errors > 0) orderErrors++;
    if (delivery.lastHeight < settings!.lastHeight) incomplete++;
    if (delivery.closedByServer) closedByServer++;
    lastHeightMin = Math.min(lastHeightMin, delivery.lastHeight);
    lastHeightMax = Math.max(lastHeightMax, delivery.lastHeight);
  }
  flushBatch();
  const waiting = early.splice(0);
  for (let i = 0; i < waiting.length; i += 2) record(waiting[i]!, waiting[i + 1]!, 1);
  if (early.length > 0) note(`${early.length / 2} frames of heights never announced by the driver`);
  const cpu = process.cpuUsage();
  send({
    type: 'report',
    clients: clients.length,
    open: clients.filter((client) => client.open).length,
    frames: totalFrames,
    complete,
    orderErrors,
    incomplete,
    closedByServer,
    lastHeightMin: clients.length === 0 ? 0 : lastHeightMin,
    lastHeightMax,
    lastArrivalMs,
    firstLatencyMs: Array.from(firstArrival, (arrival, height) => arrival - sentAt[height]!),
    histogram: hdr.encodeIntoCompressedBase64(histogram),
    phaseHistograms: phaseHistograms.map((h) => hdr.encodeIntoCompressedBase64(h)),
    blockHistograms: Object.fromEntries(
      [...blockHistograms].map(([height, h]) => [height, hdr.encodeIntoCompressedBase64(h)]),
    ),
    paused,
    lost,
    duplicated,
    reordered,
    recovery: { ...recovery },
    problems,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  });
}

process.on('message', (command: GeneratorCommand) => {
  switch (command.type) {
    case 'connect':
      void connectAll(command);
      break;
    case 'sent':
      if (command.height < sentAt.length) sentAt[command.height] = command.atMs;
      announcedHeight = Math.max(announcedHeight, command.height);
      break;
    case 'progress':
      send(progress());
      break;
    case 'pause':
      for (let i = 0; i < clients.length; i += command.every) {
        const client = clients[i]!;
        client.delivery.timed = false;
        client.delivery.paused = true;
        client.pause();
      }
      break;
    case 'resume':
      for (const client of clients) if (client.delivery.paused) client.resume();
      break;
    case 'drop':
      for (const client of clients) client.close();
      clients = [];
      // The resuming clients count their own recoveries; Socket.IO pids stay for them to present.
      recovery.asked = 0;
      recovery.recovered = 0;
      break;
    case 'report':
      report();
      break;
    case 'close':
      for (const client of clients) client.close();
      process.disconnect();
      break;
  }
});
// The driver going away ends this process too.
process.on('disconnect', () => {
  for (const client of clients) client.close();
  setTimeout(() => process.exit(0), 200).unref();
});
