/** What `blockcast` exits with, one meaning each, so scripts can branch on it. */
export const ExitCode = {
  /** Done: stopped by SIGINT/SIGTERM or end of input. */
  DONE: 0,
  USAGE: 1,
  /** No connection could be opened before the connect deadline. */
  CANNOT_CONNECT: 2,
  /** The events after the position are no longer kept (4010 / 410). */
  HISTORY_GONE: 3,
  /** The history changed under the position (4011 / 409): resynchronise. */
  EPOCH_CHANGED: 4,
  /** 401 / 403: a token or origin is refused. */
  NOT_AUTHORISED: 5,
  /** 400 / 404: the stream or a parameter is refused. */
  PARAMETER_REFUSED: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UsageError extends Error {
  override name = 'UsageError';
}
