import type { CommittedBlock } from '@blockcast/protocol';

/** What ingest answered one POSTed block; `status` 0 when nothing came back (refused, reset, timed out). */
export interface BlockAnswer {
  status: number;
  text: string;
  /** The refusal's `code`, when the body has one. */
  code?: string;
  /** The refusal's `expected_height`: the height the log takes next. */
  expectedHeight?: number;
}

export interface ChainNodeOptions {
  /** Base URL of an ingest service; the blocks go to `<ingestUrl>/api/v1/blocks`. */
  ingestUrl?: string;
  token?: string;
  /** Sends one block another way (a proxy, a test harness) instead of a POST to `ingestUrl`. */
  post?: (block: CommittedBlock) => Promise<Response>;
  /** The chain's block at `height`. */
  blockAt(height: number): CommittedBlock;
  /** The first height sent (default 1). */
  firstHeight?: number;
  /** A POST unanswered this long is abandoned (default: no limit). */
  requestTimeoutMs?: number;
  /** An ingest that cannot answer (503, no answer) is asked again after this long; undefined: that throws. */
  retryMs?: number;
  /**
   * A conflict (another block at a height the log holds) throws (default): a real chain's history
   * is not the log's. `continue`: go on from the height the log expects, for a chain whose blocks
   * are made up (the demo) started against a log that already holds others.
   */
  onConflict?: 'throw' | 'continue';
  /** Every answer, before it is acted on (count it, or throw to stop on it). */
  onAnswer?: (block: CommittedBlock, answer: BlockAnswer) => void;
}

/**
 * A chain node committing its blocks through ingest, one at a time, as a node pushes its COMMITs:
 * a 201 or 200 moves on to the next height; a 409 naming the height the log expects (a gap: the
 * log lost blocks in a restore, or already holds some after a restart) rewinds to it and sends the
 * chain's blocks from there; a conflict (unless told to go on) or any other refusal throws. The chain is the source of
 * truth; the pace is the caller's.
 */
export class ChainNode {
  readonly #options: ChainNodeOptions;
  #next: number;
  #acknowledged: number;

  constructor(options: ChainNodeOptions) {
    this.#options = options;
    this.#next = options.firstHeight ?? 1;
    this.#acknowledged = this.#next - 1;
  }

  /** The next height to send. */
  get next(): number {
    return this.#next;
  }

  /** The highest height ingest acknowledged (after a rewind, it can go down). */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  /**
   * Sends blocks until one is acknowledged (rewinding as ingest says) and answers it with whether
   * it was created (201) or already there (200); undefined when `signal` aborted first.
   */
  async commitNext(signal?: AbortSignal): Promise<{ block: CommittedBlock; created: boolean } | undefined> {
    const { retryMs, onAnswer } = this.#options;
    while (!signal?.aborted) {
      const block = this.#options.blockAt(this.#next);
      const answer = await this.#post(block);
      onAnswer?.(block, answer);
      if (answer.status === 201 || answer.status === 200) {
        this.#acknowledged = block.height;
        this.#next = block.height + 1;
        return { block, created: answer.status === 201 };
      }
      const conflict = answer.code === 'HEIGHT_CONFLICT' && this.#options.onConflict !== 'continue';
      if (answer.status === 409 && !conflict && answer.expectedHeight !== undefined) {
        this.#next = answer.expectedHeight;
        this.#acknowledged = answer.expectedHeight - 1;
        continue;
      }
      if ((answer.status !== 503 && answer.status !== 0) || retryMs === undefined)
        throw new Error(`ingest refused block ${block.height}: ${answer.status} ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
    return undefined;
  }

  async #post(block: CommittedBlock): Promise<BlockAnswer> {
    const { ingestUrl, token, requestTimeoutMs } = this.#options;
    try {
      const response = this.#options.post
        ? await this.#options.post(block)
        : await fetch(new URL('/api/v1/blocks', ingestUrl), {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify(block),
            ...(requestTimeoutMs === undefined ? {} : { signal: AbortSignal.timeout(requestTimeoutMs) }),
          });
      const text = await response.text();
      const body = jsonObject(text);
      return {
        status: response.status,
        text,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
        ...(typeof body.expected_height === 'number' ? { expectedHeight: body.expected_height } : {}),
      };
    } catch (error) {
      // Refused, reset or timed out: nothing is known about the append, so the same block goes again.
      return { status: 0, text: String(error) };
    }
  }
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
