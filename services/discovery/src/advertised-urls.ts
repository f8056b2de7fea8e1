import { STREAMS_PATH, type StreamName } from '@blockcast/protocol';
import { type AdvertisedEndpoints, bracketIpv6, type StreamsScheme } from './config.js';

const DEFAULT_PORT: Readonly<Record<StreamsScheme, number>> = { ws: 80, wss: 443 };

/**
 * `<scheme>://<host>[:<port>]`: the port is left out when it is the scheme's default, the way
 * browsers and `new URL()` print it, so `wss://streams.example.com/...` behind a TLS terminator.
 */
export function streamsOrigin(advertised: AdvertisedEndpoints): string {
  const port = advertised.port === DEFAULT_PORT[advertised.scheme] ? '' : `:${advertised.port}`;
  return `${advertised.scheme}://${bracketIpv6(advertised.host)}${port}`;
}

/** `ws://host:9985/api/v1/streams/` — what the 0.10 spec advertises as `streams_v1`. */
export function streamsRootUrl(advertised: AdvertisedEndpoints): string {
  return `${streamsOrigin(advertised)}${STREAMS_PATH}`;
}

/** `ws://host:9985/api/v1/streams/valid_transactions` and the like. */
export function streamUrl(advertised: AdvertisedEndpoints, stream: StreamName): string {
  return `${streamsRootUrl(advertised)}${stream}`;
}
