import { ABORTED, sleep, untilAborted, withDeadline } from '@blockcast/common';
import type { BlockEvent } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { decodeEntry, entryId, heightOfId, type StreamEntry } from './stream-entry.js';

export interface StreamTailOptions {
  /** Opens a dedicated connection: a blocked XREAD holds its connection for up to `blockMs`. */
  connect(): Redis;
  key: string;
  /** The height already seen, or the top looked up when the tail was asked for (undefined if that failed). */
  after: number | Promise<number | undefined>;
  signal: AbortSignal;
  batchSize: number;
  blockMs: number;
  /** Every error the tail recovers from. */
  onError(error: unknown): void;
}

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

const FIRST_BACKOFF_MS = 50;
/**
 * An XREAD unanswered this long past its BLOCK time means a dead connection ioredis has not
 * noticed (half-open TCP after a failover): the tail then starts over on a new one.
 */
const STALL_GRACE_MS = 5000;
const MAX_BACKOFF_MS = 1000;

/**
 * Plain `XREAD BLOCK` from the last height yielded — never `$`, never a consumer group — so a
 * reconnect, a failover or a killed connection resumes exactly where it stopped: every block
 * once, in order. Ends without error when `signal` aborts.
 */
export async function* tailStream(options: StreamTailOptions): AsyncGenerator<BlockEvent> {
  const { signal, key } = options;
  let connection: Redis | undefined;
  let cursor = typeof options.after === 'number' ? options.after : undefined;
  let failures = 0;
  try {
    while (!signal.aborted) {
      let entries: StreamEntry[];
      try {
        connection ??= options.connect();
        if (cursor === undefined) {
          const top = await untilAborted(topHeight(options.after, connection, key), signal);
          if (top === ABORTED) return;
          cursor = top;
        }
        const read = connection.xread(
          'COUNT',
          options.batchSize,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          key,
          entryId(Math.max(0, cursor)),
        ) as Promise<XReadReply>;
        const deadline = options.blockMs + STALL_GRACE_MS;
        const reply = await untilAborted(withDeadline(read, deadline, 'tail XREAD'), signal);
        if (reply === ABORTED) return;
        entries = reply?.[0]?.[1] ?? [];
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        options.onError(error);
        // Start over on a fresh connection: the old one may be half-dead in ways ioredis cannot see.
        connection?.disconnect();
        connection = undefined;
        failures++;
        await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1)), signal);
        continue;
      }
      for (const entry of entries) {
        const height = heightOfId(entry[0]);
        // Only `<height>-0` IDs advance the cursor; a foreign `<height>-1` must not yield a height twice.
        if (height <= cursor) continue;
        const block = decodeEntry(entry);
        cursor = height;
        yield block;
        if (signal.aborted) return;
      }
    }
  } finally {
    connection?.disconnect();
  }
}

/** The 'latest' cursor: looked up when the tail was asked for, or now if that lookup failed. */
async function topHeight(
  requested: number | Promise<number | undefined>,
  connection: Redis,
  key: string,
): Promise<number> {
  const early = await requested;
  if (early !== undefined) return early;
  return lastHeightIn(await connection.xrevrange(key, '+', '-', 'COUNT', 1));
}

/** Height of the newest entry of an `XREVRANGE + - COUNT 1` reply; 0 (from the start) when empty. */
export function lastHeightIn(entries: [id: string, fields: string[]][]): number {
  const newest = entries[0];
  return newest === undefined ? 0 : heightOfId(newest[0]);
}
