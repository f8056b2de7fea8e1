import { UpgradeError } from '@blockcast/protocol';
import { type AddressHeaders, ClientAddress } from './client-address.js';
import { ConnectionsPerAddress } from './connections-per-address.js';
import type { AuthConfig, ConnectionPolicyConfig } from './policy-config.js';
import { type Grant, TokenVerifier, tokenOf } from './token-verifier.js';

/** The request headers the policy reads, collected before the upgrade handler returns. */
export interface PolicyHeaders extends AddressHeaders {
  origin: string;
  authorization: string;
}

/**
 * Who may open a stream, decided before the upgrade: the `Origin` allow-list, the connections
 * per client address (seen through trusted proxies) and, for private streams, a JWT. Refusals
 * are 401/403/429 with a code from the registry; no token is ever logged or echoed.
 */
export class ConnectionPolicy {
  readonly #config: ConnectionPolicyConfig;
  readonly #addresses: ClientAddress;
  readonly #perAddress: ConnectionsPerAddress;
  readonly #tokens: TokenVerifier | undefined;

  constructor(config: ConnectionPolicyConfig, auth: AuthConfig | undefined) {
    this.#config = config;
    this.#addresses = new ClientAddress(config.trustedProxies, config.clientAddressHeader);
    this.#perAddress = new ConnectionsPerAddress(config.maxConnectionsPerAddress);
    this.#tokens = auth && new TokenVerifier(auth);
  }

  clientAddress(headers: AddressHeaders): string {
    return this.#addresses.resolve(headers);
  }

  /** The checks that need no waiting: origin, then the client's connection count. */
  admit(headers: PolicyHeaders, address: string): UpgradeError | undefined {
    const { allowedOrigins, requireOrigin } = this.#config;
    if (
      headers.origin === ''
        ? requireOrigin
        : allowedOrigins.length > 0 && !allowedOrigins.includes(headers.origin)
    ) {
      return new UpgradeError(
        'ORIGIN_NOT_ALLOWED',
        headers.origin === ''
          ? 'this gateway requires an Origin header'
          : `origin ${JSON.stringify(headers.origin.slice(0, 100))} is not allowed`,
      );
    }
    if (!this.#perAddress.hasRoom(address)) return this.#tooMany();
    return undefined;
  }

  /** Undefined for a public stream; otherwise the token's grant, or a 401 rejection. */
  authenticate(stream: string, headers: PolicyHeaders, query: string): Promise<Grant> | undefined {
    if (this.#tokens === undefined || !this.#tokens.isPrivate(stream)) return undefined;
    try {
      return this.#tokens.verify(tokenOf(headers.authorization, query));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Takes the client's slot as the upgrade is accepted; a refusal when it has none left. */
  take(address: string): UpgradeError | undefined {
    return this.#perAddress.take(address) ? undefined : this.#tooMany();
  }

  release(address: string): void {
    this.#perAddress.release(address);
  }

  #tooMany(): UpgradeError {
    return new UpgradeError(
      'TOO_MANY_CONNECTIONS',
      `your address has ${this.#perAddress.limit} connections open on this gateway, its limit`,
    );
  }
}
