import bs58 from 'bs58';
import { ALL_EVENT_TYPES, EventType, typeMaskProblem } from './event-types.js';
import { FRAME_PROFILES, type FrameProfile } from './frames.js';
import { EMITTED_EVENT_TYPES } from './generic-event-selection.js';
import { formatPosition, type Position, parsePosition } from './position.js';
import {
  isParameterName,
  MAX_FILTER_VALUES,
  OPERATIONS,
  type ParameterName,
  STREAM_PARAMETERS,
} from './stream-parameters.js';
import { STREAMS_PATH, type StreamName, streamDescription } from './streams.js';
import { createFilter, isEmptyFilter, type TransactionFilter } from './transaction-filter.js';
import { UpgradeError } from './upgrade-errors.js';

/** What a client asked for when it opened a stream, checked before the socket exists. */
export interface StreamRequest {
  stream: StreamName;
  /** Frame shape of `valid_transactions`. */
  profile: FrameProfile;
  /** `events` only: which event types (bit mask); every type elsewhere. */
  typeMask: number;
  /** Resume after this position (`H`, or `H-S` on `events`); undefined: live from now. */
  since: Position | undefined;
  /** The epoch `since` belongs to, when the client named one. */
  epoch: string | undefined;
  /** Undefined when nothing is filtered. */
  filter: TransactionFilter | undefined;
}

const HEX_ID = /^[0-9a-f]{64}$/;
const EPOCH = /^[0-9A-Za-z_-]{1,64}$/;

/**
 * Parses `<path>?<query>` against the stream catalog. Unknown parameters are ignored (as the
 * original servers did); a known one a stream does not take, or a bad value, is refused naming it.
 */
export function parseStreamRequest(path: string, query: string, defaultProfile: FrameProfile): StreamRequest {
  const name = path.startsWith(STREAMS_PATH) ? path.slice(STREAMS_PATH.length).replace(/\/$/, '') : '';
  const stream = streamDescription(name);
  if (stream === undefined) {
    throw new UpgradeError('UNKNOWN_STREAM', `no stream at ${path}; see GET /api/v1/streams for the catalog`);
  }
  const values = new Map<ParameterName, string[]>();
  for (const [key, value] of new URLSearchParams(query)) {
    if (!isParameterName(key)) continue;
    if (!stream.parameters.includes(key)) {
      throw new UpgradeError('PARAMETER_NOT_APPLICABLE', `${stream.name} does not take "${key}"`, {
        parameter: key,
      });
    }
    const list = values.get(key) ?? [];
    list.push(...(STREAM_PARAMETERS[key].repeatable ? value.split(',') : [value]));
    values.set(key, list);
  }
  const single = (key: ParameterName) => {
    const list = values.get(key);
    if (list === undefined) return undefined;
    if (list.length > 1) throw invalid(key, `"${key}" may be given once`);
    return list[0]!;
  };
  const filter = createFilter({
    publicKeys: listOf(values, 'public_key', isPublicKey, 'a base58 ed25519 public key (32 bytes)'),
    assetIds: listOf(values, 'asset_id', (id) => HEX_ID.test(id), '64 lowercase hex characters'),
    operations: listOf(
      values,
      'operation',
      (op) => (OPERATIONS as readonly string[]).includes(op),
      OPERATIONS.join(', '),
    ),
  });
  const typesGiven = single('types');
  const typeMask = parseTypeMask(typesGiven);
  if (!isEmptyFilter(filter) && typeMask !== ALL_EVENT_TYPES && (typeMask & EMITTED_EVENT_TYPES) !== 0) {
    const parameter = (['public_key', 'asset_id', 'operation'] as const).find((name) => values.has(name))!;
    throw new UpgradeError(
      'PARAMETER_NOT_APPLICABLE',
      `types=${typesGiven!.slice(0, 80)} names emitted event types, which carry no transactions for "${parameter}" to select: open a second events stream without filters for them`,
      { parameter },
    );
  }
  return {
    stream: stream.name,
    profile: parseProfile(single('profile'), defaultProfile),
    typeMask,
    since: parseSince(single('since'), stream.name),
    epoch: parseEpoch(single('epoch')),
    filter: isEmptyFilter(filter) ? undefined : filter,
  };
}

function invalid(parameter: ParameterName, message: string): UpgradeError {
  return new UpgradeError('INVALID_PARAMETER', message, { parameter });
}

function listOf(
  values: Map<ParameterName, string[]>,
  key: ParameterName,
  valid: (value: string) => boolean,
  expected: string,
): string[] {
  const list = values.get(key) ?? [];
  if (list.length > MAX_FILTER_VALUES) {
    throw invalid(key, `"${key}" lists ${list.length} values; at most ${MAX_FILTER_VALUES} are allowed`);
  }
  for (const value of list) {
    if (!valid(value)) throw invalid(key, `"${key}" value "${value.slice(0, 80)}" is not ${expected}`);
  }
  return list;
}

function isPublicKey(value: string): boolean {
  try {
    return bs58.decode(value).length === 32;
  } catch {
    return false;
  }
}

function parseProfile(value: string | undefined, fallback: FrameProfile): FrameProfile {
  if (value === undefined) return fallback;
  if ((FRAME_PROFILES as readonly string[]).includes(value)) return value as FrameProfile;
  throw invalid('profile', `profile must be one of ${FRAME_PROFILES.join(', ')}`);
}

/** `types` is an integer mask (1, 3, -1) or `|`/`,`-separated type names (BLOCK_VALID,BLOCK_INVALID). */
function parseTypeMask(value: string | undefined): number {
  if (value === undefined || value === '' || value === 'all') return ALL_EVENT_TYPES;
  const known = Object.entries(EventType)
    .map(([name, flag]) => `${flag} ${name}`)
    .join(', ');
  let mask = 0;
  if (/^-?\d+$/.test(value)) {
    mask = Number(value);
  } else {
    for (const name of value.split(/[|,]/).map((part) => part.trim())) {
      if (!Object.hasOwn(EventType, name)) {
        throw invalid('types', `unknown event type "${name.slice(0, 80)}" (known: ${known})`);
      }
      mask |= EventType[name as keyof typeof EventType];
    }
  }
  const problem = typeMaskProblem(mask);
  if (problem !== undefined) {
    throw invalid('types', `types=${value.slice(0, 80)} is refused: ${problem} (known: ${known}, -1 all)`);
  }
  return mask;
}

/** `H` on every stream; `H-S` (after generic event S of height H) only on `events`, the one stream that carries them. */
function parseSince(value: string | undefined, stream: StreamName): Position | undefined {
  if (value === undefined) return undefined;
  const position = parsePosition(value);
  if (position === undefined) {
    throw invalid(
      'since',
      `since must be a block height (an integer >= 0) or, on events, a position H-S; got "${value.slice(0, 80)}"`,
    );
  }
  if (position.seq !== 0 && stream !== 'events') {
    throw invalid(
      'since',
      `since=${formatPosition(position)} is the position of a generic event; ${stream} carries blocks only: resume with since=${position.height}`,
    );
  }
  return position;
}

function parseEpoch(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!EPOCH.test(value))
    throw invalid('epoch', `epoch "${value.slice(0, 80)}" is not an epoch this gateway issues`);
  return value;
}
