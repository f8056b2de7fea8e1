/** What `blockcast` exits with, one meaning each across its commands, so scripts can branch on it. */
export const ExitCode = {
  /** Done: what was asked is done (`-c`, `--until`, `--exit-at-head` reached; emitted; every service ready), or stopped by SIGINT/SIGTERM. */
  DONE: 0,
  /** An unknown command or option, a missing or malformed argument. */
  USAGE: 1,
  /** No connection could be opened (before `--connect-deadline`; the API root, ingest or an ops port unreachable). */
  CANNOT_CONNECT: 2,
  /** The events after the position are no longer kept (4010 / 410). */
  HISTORY_GONE: 3,
  /** The history changed under the position (4011 / 409): resynchronise. */
  EPOCH_CHANGED: 4,
  /** 401 / 403: a token or origin is refused. */
  NOT_AUTHORISED: 5,
  /** 400 / 404 / 409 / 413: the stream, a parameter or the event is refused. */
  PARAMETER_REFUSED: 6,
  /** `tail --idle-timeout`: no frame within that time. */
  IDLE_TIMEOUT: 7,
  /** `status`: a service is not ready or does not answer. */
  NOT_READY: 8,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UsageError extends Error {
  override name = 'UsageError';
}

/** An end with its code and the line that explains it on stderr. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';

  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The code for an HTTP refusal of a request a command made (a subscription's, an emit's). */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.NOT_AUTHORISED;
  if (status >= 400 && status < 500 && status !== 429) return ExitCode.PARAMETER_REFUSED;
  return ExitCode.CANNOT_CONNECT;
}
