/**
 * How `tail` writes each frame (`-o`): `jsonl` (the frame as the server sent it, byte for byte),
 * `pretty` (`field=value` for a person), `csv` (a header, then one row per frame) or a template
 * such as `'{height} {transaction_id}'`. `--envelope` adds where the frame sits and its history.
 */
import { formatPosition, type StreamName } from '@blockcast/protocol/client';
import { FRAME_FIELDS } from '../frames.js';
import type { StreamEvent } from '../subscription.js';
import { UsageError } from './exit-codes.js';

export interface FrameFormat {
  /** Written once before the first frame (the CSV header). */
  header: string | undefined;
  line(event: StreamEvent): string;
}

/** What every frame has besides its own fields: its place, its history, its stream, its id. */
const ENVELOPE_FIELDS = ['position', 'epoch'] as const;
const EXTRA_FIELDS = [...ENVELOPE_FIELDS, 'stream', 'id'] as const;

export const FORMAT_NAMES = ['jsonl', 'pretty', 'csv'] as const;

export function frameFormat(spec: string, stream: StreamName, envelope: boolean): FrameFormat {
  if (spec.includes('{')) return templateFormat(spec, stream);
  if (spec === 'jsonl') return { header: undefined, line: envelope ? envelopedJson : (event) => event.text };
  const fields: readonly string[] = [...(envelope ? ENVELOPE_FIELDS : []), ...FRAME_FIELDS[stream]];
  if (spec === 'pretty')
    return {
      header: undefined,
      line: (event) =>
        fields
          .filter((field) => fieldValue(event, field) !== undefined)
          .map((field) => `${field}=${text(fieldValue(event, field))}`)
          .join(' '),
    };
  if (spec === 'csv')
    return {
      header: fields.join(','),
      line: (event) => fields.map((field) => csvCell(text(fieldValue(event, field)))).join(','),
    };
  throw new UsageError(
    `-o takes ${FORMAT_NAMES.join(', ')} or a template such as '{height} {id}', not ${JSON.stringify(spec)}`,
  );
}

/** `{"stream": …, "position": …, "epoch": …, "frame": <the frame as sent>}`. */
function envelopedJson(event: StreamEvent): string {
  const head = JSON.stringify({
    stream: event.stream,
    position: event.position === undefined ? null : formatPosition(event.position),
    epoch: event.epoch,
  });
  return `${head.slice(0, -1)},"frame":${event.text}}`;
}

/** `{field}` is replaced by the frame's field (empty when this frame has none); `{{` and `}}` are braces. */
function templateFormat(template: string, stream: StreamName): FrameFormat {
  const known: readonly string[] = [...FRAME_FIELDS[stream], ...EXTRA_FIELDS];
  const parts = template.split(/(\{\{|\}\}|\{[^{}]*\})/);
  for (const part of parts) {
    const field = fieldIn(part);
    if (field !== undefined && !known.includes(field))
      throw new UsageError(
        `-o template: no field {${field}} in ${stream} frames; fields: ${known.join(', ')}`,
      );
  }
  return {
    header: undefined,
    line: (event) =>
      parts
        .map((part) => {
          if (part === '{{') return '{';
          if (part === '}}') return '}';
          const field = fieldIn(part);
          return field === undefined ? part : text(fieldValue(event, field));
        })
        .join(''),
  };
}

function fieldIn(part: string): string | undefined {
  return part.startsWith('{') && part.endsWith('}') && part.length > 1 ? part.slice(1, -1).trim() : undefined;
}

function fieldValue(event: StreamEvent, field: string): unknown {
  const frame = event.frame as unknown as Record<string, unknown>;
  switch (field) {
    case 'position':
      return event.position === undefined ? undefined : formatPosition(event.position);
    case 'epoch':
      return event.epoch ?? undefined;
    case 'stream':
      return event.stream;
    case 'id':
      return frame.transaction_id ?? frame.txid ?? frame.hash;
    default:
      return frame[field];
  }
}

/** Strings as they are, lists of strings joined by `,`, anything else as compact JSON. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  return JSON.stringify(value);
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
