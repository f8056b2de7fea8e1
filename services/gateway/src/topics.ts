import { EventType, matchesMask, type Profile } from '@blockcast/protocol';
import type { StreamRequest } from './stream-request.js';

/**
 * uWS topics: the C++ side fans each frame out to every subscriber of its topic, so JS does
 * work per frame, never per connection. One topic per distinct frame shape.
 */
export const Topic = {
  validTransactions: (profile: Profile) => `valid_transactions/${profile}`,
  validBlocks: 'valid_blocks',
  legacyValidTx: 'valid_tx',
  invalidTransactions: 'invalid_transactions',
  events: (flag: number) => `events/${flag}`,
} as const;

export function topicsFor(request: StreamRequest): string[] {
  switch (request.stream) {
    case 'valid_transactions':
      return [Topic.validTransactions(request.profile)];
    case 'valid_blocks':
      return [Topic.validBlocks];
    case 'valid_tx':
      return [Topic.legacyValidTx];
    case 'invalid_transactions':
      return [Topic.invalidTransactions];
    case 'events':
      return Object.values(EventType)
        .filter((flag) => matchesMask(flag, request.typeMask))
        .map(Topic.events);
  }
}
