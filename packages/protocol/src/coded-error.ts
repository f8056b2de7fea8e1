export type ErrorDetails = Record<string, string | number | null>;

/**
 * An error a caller caused, as every surface answers it: a stable `code` from that surface's
 * registry, the HTTP `status` the registry gives it, and a message that says what to do. Sent as
 * `{ code, message, ...details }`.
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    readonly status: number,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }

  toJSON(): { code: Code; message: string } & ErrorDetails {
    return { code: this.code, message: this.message, ...this.details };
  }
}
