import { BlockList, isIP } from 'node:net';
import type { ClientAddressHeader, TrustedProxy } from './policy-config.js';

/** What an upgrade says about where it came from. */
export interface AddressHeaders {
  /** The TCP peer. */
  peer: string;
  /** Every `Forwarded` header line, in order. */
  forwarded: readonly string[];
  /** Every `X-Forwarded-For` header line, in order. */
  forwardedFor: readonly string[];
}

/**
 * The client's address behind trusted proxies. Each proxy appends the address it received the
 * connection from, so the chain is read from the right: past every trusted hop, the first
 * address that is not a trusted proxy is the client — whatever the client wrote further left is
 * never believed. A peer that is not a trusted proxy is the client, headers or not. Only the
 * header the proxies write is read: they pass the other one through from the client untouched.
 */
export class ClientAddress {
  readonly #trusted = new BlockList();
  readonly #any: boolean;
  readonly #header: ClientAddressHeader;

  constructor(proxies: readonly TrustedProxy[], header: ClientAddressHeader) {
    for (const proxy of proxies) this.#trusted.addSubnet(proxy.address, proxy.prefix, proxy.family);
    this.#any = proxies.length > 0;
    this.#header = header;
  }

  resolve(headers: AddressHeaders): string {
    let client = unmapped(headers.peer);
    if (!this.#isTrusted(client)) return client;
    const hops =
      this.#header === 'forwarded'
        ? headers.forwarded.flatMap(forwardedFor)
        : headers.forwardedFor.flatMap((line) => line.split(',').map((entry) => hostOf(entry)));
    for (const hop of hops.reverse()) {
      // An unknown or unparsable hop ends the chain at the proxy that wrote it.
      if (hop === undefined) return client;
      client = hop;
      if (!this.#isTrusted(hop)) return hop;
    }
    return client;
  }

  #isTrusted(address: string): boolean {
    if (!this.#any) return false;
    const version = isIP(address);
    return version !== 0 && this.#trusted.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `::ffff:10.1.2.3` is the IPv4 client 10.1.2.3 on a dual-stack socket. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

/** RFC 7239 §6.3: a proxy that hides the client names it `_<token>`, the same token for the same client. */
const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;

/**
 * The `for=` of each element of a `Forwarded` line: an address, an obfuscated identifier (a
 * client, never a trusted proxy), or undefined for `unknown` and garbage.
 */
function forwardedFor(line: string): (string | undefined)[] {
  return line.split(',').map((element) => {
    const pair = element
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.toLowerCase().startsWith('for='));
    if (pair === undefined) return undefined;
    const value = pair.slice(4).replace(/^"(.*)"$/, '$1');
    return OBFUSCATED.test(value) ? value : hostOf(value);
  });
}

/** An IP address from `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1` or `[2001:db8::1]:80`. */
function hostOf(entry: string): string | undefined {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text)?.[1];
  const withoutPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(text)?.[1];
  const host = bracketed ?? withoutPort ?? text;
  return isIP(host) === 0 ? undefined : unmapped(host);
}
