import {
  ALL_EVENT_TYPES,
  EventType,
  isStreamName,
  PROFILES,
  type Profile,
  STREAMS_PATH,
  type StreamName,
} from '@blockcast/protocol';

/** What a client asked for at upgrade time, checked before the socket exists. */
export interface StreamRequest {
  stream: StreamName;
  profile: Profile;
  /** `events` stream only: which event types (bit mask). */
  typeMask: number;
}

/** A refused upgrade: answered over plain HTTP with this status and a JSON body. */
export class StreamRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly code: string,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.name = 'StreamRequestError';
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.parameter ? { parameter: this.parameter } : {}),
    };
  }
}

/**
 * Parameters that later blockcast versions give a meaning (resume and filters). Until this
 * gateway implements them they are refused, so a client never silently gets less than it asked.
 */
const RESERVED_PARAMETERS = new Set(['since', 'public_key', 'asset_id', 'operation']);

export function parseStreamRequest(url: string, query: string, defaultProfile: Profile): StreamRequest {
  const name = url.startsWith(STREAMS_PATH) ? url.slice(STREAMS_PATH.length).replace(/\/$/, '') : '';
  if (!isStreamName(name)) {
    throw new StreamRequestError(
      404,
      'UNKNOWN_STREAM',
      `no stream at ${url}; see GET /api/v1/streams for the catalog`,
    );
  }
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (RESERVED_PARAMETERS.has(key)) {
      throw new StreamRequestError(
        400,
        'PARAMETER_NOT_SUPPORTED',
        `"${key}" is not supported by this gateway yet`,
        key,
      );
    }
  }
  return {
    stream: name,
    profile: parseProfile(params.get('profile'), defaultProfile),
    typeMask: parseTypeMask(params.get('types')),
  };
}

function parseProfile(value: string | null, fallback: Profile): Profile {
  if (value === null) return fallback;
  if ((PROFILES as readonly string[]).includes(value)) return value as Profile;
  throw new StreamRequestError(
    400,
    'INVALID_PARAMETER',
    `profile must be one of ${PROFILES.join(', ')}`,
    'profile',
  );
}

/** `types` is an integer mask (1, 3, -1) or `|`/`,`-separated type names (BLOCK_VALID,BLOCK_INVALID). */
function parseTypeMask(value: string | null): number {
  if (value === null || value === '' || value === 'all') return ALL_EVENT_TYPES;
  if (/^-?\d+$/.test(value)) {
    const mask = Number(value) | 0;
    if (mask === 0)
      throw new StreamRequestError(
        400,
        'INVALID_PARAMETER',
        'types must select at least one event type',
        'types',
      );
    return mask;
  }
  let mask = 0;
  for (const name of value.split(/[|,]/)) {
    const flag = (EventType as Record<string, number>)[name.trim()];
    if (flag === undefined) {
      const known = Object.keys(EventType).join(', ');
      throw new StreamRequestError(
        400,
        'INVALID_PARAMETER',
        `unknown event type "${name}" (known: ${known})`,
        'types',
      );
    }
    mask |= flag;
  }
  return mask;
}
