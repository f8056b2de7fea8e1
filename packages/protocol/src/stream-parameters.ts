/**
 * The query parameters of the streams: each one's meaning and accepted values, as data for the
 * catalog, and the limits the gateway's parser enforces.
 */
import { EventType } from './event-types.js';
import { FRAME_PROFILES } from './frames.js';

export type ParameterName = 'profile' | 'types' | 'since' | 'epoch' | 'public_key' | 'asset_id' | 'operation';

/** The operations BigchainDB 2.x and Planetmint define. */
export const OPERATIONS = [
  'CREATE',
  'TRANSFER',
  'VALIDATOR_ELECTION',
  'CHAIN_MIGRATION_ELECTION',
  'VOTE',
  'COMPOSE',
  'DECOMPOSE',
] as const;

/** The header of every 101 answer that names the stream's epoch (absent while the stream is empty). */
export const EPOCH_HEADER = 'X-Blockcast-Epoch';

/** Values one filter parameter may list (repeated or comma-separated): a bound on the work a client can ask for. */
export const MAX_FILTER_VALUES = 100;

export interface ParameterSpec {
  name: ParameterName;
  /** May be given several times (or as a comma list); the values are ORed. */
  repeatable: boolean;
  values?: readonly string[];
  default?: string;
  description: string;
}

export const STREAM_PARAMETERS: Readonly<Record<ParameterName, ParameterSpec>> = {
  profile: {
    name: 'profile',
    repeatable: false,
    values: FRAME_PROFILES,
    description: 'Frame shape: bigchaindb has asset_id (BigchainDB 2.x), planetmint has asset_ids.',
  },
  types: {
    name: 'types',
    repeatable: false,
    values: Object.keys(EventType),
    default: 'all',
    description: `Which event types: a bit mask (${Object.entries(EventType)
      .map(([name, flag]) => `${flag} ${name}`)
      .join(
        ', ',
      )}, -1 all; a 32-bit integer, so a mask beyond -2147483648..2147483647 is refused rather than wrapped) or names separated by "," or "|". A mask or name that selects no known type is refused. Emitted types (generic events) are not sent to a stream with a transaction filter; naming one beside a filter is refused.`,
  },
  since: {
    name: 'since',
    repeatable: false,
    description:
      'Resume: every event after this position, from history, then live, with no gap or duplicate at the seam. A block height H (after block H and, on events, the generic events emitted after it), or on events H-S (after the generic event at H-S). Take it from the last frame you received or from a close reason. Requires epoch (400 EPOCH_REQUIRED without it, once the stream has an epoch).',
  },
  epoch: {
    name: 'epoch',
    repeatable: false,
    description: `The epoch your heights belong to (the catalog field epoch, the ${EPOCH_HEADER} header of a 101 answer, or a close reason); a mismatch is refused with 409 EPOCH_MISMATCH instead of answering from another history. Alone it pins a live connection: accepted only while the stream is still in that epoch.`,
  },
  public_key: {
    name: 'public_key',
    repeatable: true,
    description: `Transactions with this base58 ed25519 public key in any output. Repeat for any of several (OR, at most ${MAX_FILTER_VALUES}); different filters AND together.`,
  },
  asset_id: {
    name: 'asset_id',
    repeatable: true,
    description: `Transactions on this asset (64 hex; a CREATE is its own asset). Repeat for any of several (OR, at most ${MAX_FILTER_VALUES}).`,
  },
  operation: {
    name: 'operation',
    repeatable: true,
    values: OPERATIONS,
    description: 'Transactions with this operation. Repeat for any of several (OR).',
  },
};

export function isParameterName(name: string): name is ParameterName {
  return Object.hasOwn(STREAM_PARAMETERS, name);
}
