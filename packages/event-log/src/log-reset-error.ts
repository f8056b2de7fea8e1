/**
 * The history under a tail changed, so its cursor means nothing any more; the tail ends with this.
 * - `reset`: the stream was recreated (FLUSHALL, DEL of the key): another epoch, or none yet.
 * - `rollback`: same epoch, but the history below the tail is not the one it read (Redis restored
 *   from an older snapshot: the top below what it saw, or the entry it took gone or rewritten);
 *   the log has then started a new epoch, once, for every reader and appender.
 */
export class LogResetError extends Error {
  constructor(
    readonly kind: 'reset' | 'rollback',
    /** The log's epoch now: null when the stream is gone and nothing was appended since. */
    readonly epoch: string | null,
    /** The log's last height now, null when it holds none. */
    readonly last: number | null,
  ) {
    super(describeReset(kind, epoch, last));
    this.name = 'LogResetError';
  }
}

function describeReset(kind: 'reset' | 'rollback', epoch: string | null, last: number | null): string {
  const now = `epoch is now ${epoch ?? 'none'}, last height ${last ?? 'none'}`;
  return kind === 'reset'
    ? `the event log was recreated under the tail: ${now}`
    : `the event log went back below the tail's cursor and started a new epoch: ${now}`;
}
