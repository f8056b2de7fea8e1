import { STREAMS_PATH, type StreamName } from '@blockcast/protocol';
import { type AdvertisedEndpoints, bracketIpv6 } from './config.js';

/**
 * `<scheme>://<host>:<port>`, the port always printed, even the scheme's default (80, 443):
 * BigchainDB's `base_ws_uri()` formats `'{}://{}:{}'.format(scheme, host, port)` for every
 * profile it serves, and clients that compare or parse the advertised URL see the same string.
 */
export function streamsOrigin(advertised: AdvertisedEndpoints): string {
  return `${advertised.scheme}://${bracketIpv6(advertised.host)}:${advertised.port}`;
}

/** `ws://host:9985/api/v1/streams/` — what the 0.10 spec advertises as `streams_v1`. */
export function streamsRootUrl(advertised: AdvertisedEndpoints): string {
  return `${streamsOrigin(advertised)}${STREAMS_PATH}`;
}

/** `ws://host:9985/api/v1/streams/valid_transactions` and the like. */
export function streamUrl(advertised: AdvertisedEndpoints, stream: StreamName): string {
  return `${streamsRootUrl(advertised)}${stream}`;
}
