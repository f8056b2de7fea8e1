/**
 * A reader at the retention edge for the fault scenarios: it resumes from a position, can stop
 * reading for as long as a scenario wants (its socket's queue fills, as a paused client's does),
 * and follows the documented rule when the history it needs is gone: after 4010 or 410
 * `HISTORY_GONE` it starts a new segment from `oldest` on `events` with generic events (a block's
 * events may be trimmed before it) or `oldest − 1` on a block-only stream. A close with a position
 * continues the segment from it; a cut without one is counted (the scenarios expect none).
 */
import { genericEventFrame, positionIn } from '@blockcast/protocol';
import WebSocket from 'ws';
import type { BlockSender } from './block-sender.js';
import type { PostedEvent } from './event-poster.js';
import { expectedEvents, expectedValidBlocks } from './expected-frames.js';
import type { DeliverySegment } from './resuming-client.js';

/** The streams read here: everything on `events`, its blocks only, and `valid_blocks`. */
export type EdgeStream = 'events' | 'events?types=BLOCK_VALID' | 'valid_blocks';

export interface EdgeReaderOptions {
  /** Gateway base URL, `ws://127.0.0.1:<port>`. */
  gateway: string;
  stream: EdgeStream;
  /** The first position (`H` or `H-S`) and its epoch. */
  since: string;
  epoch: string;
}

export class EdgeReader {
  readonly segments: DeliverySegment[] = [];
  /** Every close frame and refusal met, in order (`code reason`). */
  readonly signals: string[] = [];
  /** Connections that ended without a close frame (resumed by the cut rule). */
  cuts = 0;
  /** Frames dropped by the cut rule (already held before the cut). */
  droppedRepeats = 0;
  /** After a cut: the frames held after the position resumed from, which come again first. */
  #repeats = new Set<string>();
  readonly #options: EdgeReaderOptions;
  #since: string;
  #epoch: string;
  #socket: WebSocket | undefined;
  #paused = false;
  #stopped = false;

  constructor(options: EdgeReaderOptions) {
    this.#options = options;
    this.#since = options.since;
    this.#epoch = options.epoch;
    this.segments.push({
      since: Number.parseInt(options.since, 10),
      epoch: options.epoch,
      startedBy: 'start',
      frames: [],
    });
  }

  get stream(): EdgeStream {
    return this.#options.stream;
  }

  get current(): DeliverySegment {
    return this.segments.at(-1)!;
  }

  /** Resolves once the first connection is open or refused. */
  start(): Promise<void> {
    return new Promise((resolve) => this.#connect(resolve));
  }

  /** Stops reading: the gateway's queue for this socket grows. */
  pause(): void {
    this.#paused = true;
    this.#raw()?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#raw()?.resume();
  }

  stop(): void {
    this.#stopped = true;
    this.#socket?.terminate();
  }

  #raw(): { pause(): void; resume(): void } | undefined {
    return (this.#socket as unknown as { _socket?: { pause(): void; resume(): void } } | undefined)?._socket;
  }

  #connect(opened?: () => void): void {
    if (this.#stopped) return;
    const separator = this.#options.stream.includes('?') ? '&' : '?';
    const socket = new WebSocket(
      `${this.#options.gateway}/api/v1/streams/${this.#options.stream}${separator}since=${this.#since}&epoch=${this.#epoch}`,
    );
    this.#socket = socket;
    let refused = false;
    socket.on('open', () => {
      if (this.#paused) this.#raw()?.pause();
      opened?.();
    });
    socket.on('message', (data) => this.#receive(String(data)));
    socket.on('error', () => {});
    socket.on('unexpected-response', (_request, response) => {
      refused = true;
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => {
        socket.terminate();
        const gone = /"code":"HISTORY_GONE"/.test(text);
        this.signals.push(`${response.statusCode} ${text}`);
        if (gone) this.#fromOldest(Number(/"oldest":(\d+)/.exec(text)?.[1]), 'HISTORY_GONE');
        opened?.();
        setTimeout(() => this.#connect(), gone ? 0 : 200).unref();
      });
    });
    socket.on('close', (code, reasonBuffer) => {
      if (refused || this.#stopped) return;
      const reason = reasonBuffer.toString();
      const position = positionIn(reason);
      if (code === 4010) {
        this.signals.push(`4010 ${reason}`);
        this.#fromOldest(Number(/(?:^|; )oldest=(\d+)/.exec(reason)?.[1]), '4010');
      } else if (position) {
        this.signals.push(`${code} ${reason}`);
        this.#since =
          position.seq === undefined ? String(position.since) : `${position.since}-${position.seq}`;
        if (position.epoch) this.#epoch = position.epoch;
      } else {
        this.cuts += 1;
        this.#afterCut();
      }
      this.#connect();
    });
  }

  #receive(frame: string): void {
    if (this.#repeats.size > 0) {
      if (this.#repeats.has(frame)) {
        this.droppedRepeats += 1;
        return;
      }
      this.#repeats.clear();
    }
    this.current.frames.push(frame);
  }

  /**
   * The documented rule after a cut without a close frame: after a generic event `H-S` resume from
   * it exactly; after a block frame of height H from H − 1, dropping what comes again.
   */
  #afterCut(): void {
    const frames = this.current.frames;
    const last = frames.at(-1);
    if (last === undefined) return;
    const { height, seq } = JSON.parse(last) as { height: number; seq?: number };
    if (seq !== undefined) {
      this.#since = `${height}-${seq}`;
      return;
    }
    this.#since = String(height - 1);
    const held = (frame: string) => {
      const at = JSON.parse(frame) as { height: number; seq?: number };
      return at.height === height ? at.seq === undefined : at.height === height - 1 && at.seq !== undefined;
    };
    let first = frames.length;
    while (first > 0 && held(frames[first - 1]!)) first -= 1;
    this.#repeats = new Set(frames.slice(first));
  }

  /** The documented rule after the history is gone: `oldest` with generic events, `oldest − 1` without. */
  #fromOldest(oldest: number, startedBy: string): void {
    const since = this.#options.stream === 'events' ? oldest : oldest - 1;
    this.#since = String(since);
    this.segments.push({ since, epoch: this.#epoch, startedBy, frames: [] });
  }
}

/**
 * The frames one height brings on a stream, from the chain as sent and the events as ingest
 * acknowledged them: on `events`, the generic events after block h − 1, then block h.
 */
export function edgeFrames(
  stream: EdgeStream,
  sender: BlockSender,
  events: readonly PostedEvent[],
): (height: number) => readonly string[] | undefined {
  const after = new Map<number, PostedEvent[]>();
  for (const event of events) after.set(event.height, [...(after.get(event.height) ?? []), event]);
  return (height) => {
    const block = sender.chain.get(height);
    if (block === undefined) return undefined;
    if (stream === 'valid_blocks') return expectedValidBlocks([block]);
    if (stream === 'events?types=BLOCK_VALID') return expectedEvents([block], 1);
    const before = (after.get(height - 1) ?? []).sort((a, b) => a.seq - b.seq);
    return [...before.map(genericEventFrame), ...expectedEvents([block], -1)];
  };
}
