import { formatPosition, type Position } from '@blockcast/protocol';

/** Why an emit was refused, with what the caller needs to act on it. */
export type EmitRefusal =
  | { code: 'IDEMPOTENCY_CONFLICT'; idempotencyKey: string; original: Position }
  | { code: 'TOO_MANY_EVENTS_AT_HEIGHT'; height: number; limit: number }
  | { code: 'EVENT_TOO_LARGE'; bytes: number; limit: number };

export type EmitRefusalCode = EmitRefusal['code'];

/** A refused emit; nothing was written. */
export class EmitRefusedError extends Error {
  readonly code: EmitRefusalCode;

  constructor(readonly refusal: EmitRefusal) {
    super(describeRefusal(refusal));
    this.name = 'EmitRefusedError';
    this.code = refusal.code;
  }
}

function describeRefusal(refusal: EmitRefusal): string {
  switch (refusal.code) {
    case 'IDEMPOTENCY_CONFLICT':
      return `idempotency key "${refusal.idempotencyKey}" was already used for another event (at ${formatPosition(refusal.original)}): use a new key for a new event`;
    case 'TOO_MANY_EVENTS_AT_HEIGHT':
      return `${refusal.limit} events were already emitted after block ${refusal.height}, the most one height takes: retry after the next block`;
    case 'EVENT_TOO_LARGE':
      return `the event content is ${refusal.bytes} bytes as JSON, more than the ${refusal.limit} the log takes`;
  }
}
