import { createHash } from 'node:crypto';
import {
  canonicalJson,
  type EventEntry,
  eventEntry,
  type GenericEvent,
  isEmittedEventType,
  type Position,
} from '@blockcast/protocol';
import { EmitRefusedError } from './emit-refused-error.js';
import type { EmitRequest, EventLogOptions } from './event-log.js';

/** Defaults and checks of emit shared by every EventLog implementation, so they cannot drift apart. */

export const DEFAULT_MAX_EVENTS_PER_HEIGHT = 1000;
export const DEFAULT_MAX_EVENT_BYTES = 65_536;
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Keys become part of Redis key names: bounded and printable. */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
export const IDEMPOTENCY_KEY_RULE = 'must be 1 to 200 printable ASCII characters without spaces';

export function isIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_PATTERN.test(key);
}

export interface EmitLimits {
  maxEventsPerHeight: number;
  maxEventBytes: number;
  idempotencyWindowMs: number;
}

export function emitLimits(options: EventLogOptions): EmitLimits {
  const limits: EmitLimits = {
    maxEventsPerHeight: options.maxEventsPerHeight ?? DEFAULT_MAX_EVENTS_PER_HEIGHT,
    maxEventBytes: options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    idempotencyWindowMs: options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
    }
  }
  return limits;
}

/** An emit checked before any store is asked: its content as stored JSON and its identity digest. */
export interface PreparedEmit {
  request: EmitRequest;
  contentJson: string;
  /** What makes two emits under one idempotency key "the same event": type and content, not the time. */
  digest: string;
}

/**
 * A malformed request is a RangeError, an oversized one an {@link EmitRefusedError}; either way
 * nothing is written.
 */
export function prepareEmit(request: EmitRequest, limits: EmitLimits): PreparedEmit {
  if (!isEmittedEventType(request.type)) {
    throw new RangeError(`emit type must be an emitted catalog type, got ${String(request.type)}`);
  }
  if (!Number.isSafeInteger(request.emittedAt) || request.emittedAt < 0) {
    throw new RangeError(`emittedAt must be milliseconds since the epoch, got ${String(request.emittedAt)}`);
  }
  const key = request.idempotencyKey;
  if (key !== undefined && !isIdempotencyKey(key))
    throw new RangeError(`idempotencyKey ${IDEMPOTENCY_KEY_RULE}`);
  const contentJson = JSON.stringify(request.content) as string | undefined;
  if (contentJson === undefined) throw new RangeError('emit content must be JSON, got undefined');
  const bytes = Buffer.byteLength(contentJson);
  if (bytes > limits.maxEventBytes) {
    throw new EmitRefusedError({ code: 'EVENT_TOO_LARGE', bytes, limit: limits.maxEventBytes });
  }
  const digest = createHash('sha256')
    .update(canonicalJson({ type: request.type, content: request.content }))
    .digest('hex');
  return { request, contentJson, digest };
}

/** The stored event's JSON, fields in the order the Redis script writes them. */
export function encodeEvent(prepared: PreparedEmit, position: Position): string {
  const { type, emittedAt } = prepared.request;
  return `{"type":"${type}","height":${position.height},"seq":${position.seq},"content":${prepared.contentJson},"emittedAt":${emittedAt}}`;
}

export function decodeEvent(json: string): EventEntry {
  return eventEntry(JSON.parse(json) as GenericEvent);
}

export function tooManyEvents(height: number, limits: EmitLimits): EmitRefusedError {
  return new EmitRefusedError({
    code: 'TOO_MANY_EVENTS_AT_HEIGHT',
    height,
    limit: limits.maxEventsPerHeight,
  });
}

export function idempotencyConflict(idempotencyKey: string, original: Position): EmitRefusedError {
  return new EmitRefusedError({ code: 'IDEMPOTENCY_CONFLICT', idempotencyKey, original });
}
