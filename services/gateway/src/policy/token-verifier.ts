import { UpgradeError } from '@blockcast/protocol';
import { createLocalJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { AuthConfig } from './policy-config.js';

/** What a verified token grants: the connection is closed with 1008 at `expiresAt` (ms epoch). */
export interface Grant {
  expiresAt: number;
}

/**
 * The bearer token of an upgrade. The `Authorization` header comes first; the `access_token`
 * query parameter exists because a browser's WebSocket cannot send headers (it ends up in
 * access logs of proxies in between, so clients that can send the header should).
 */
export function tokenOf(authorization: string, query: string): string | undefined {
  if (authorization !== '') {
    const bearer = /^Bearer +(\S+)$/i.exec(authorization.trim())?.[1];
    if (bearer === undefined) {
      throw new UpgradeError('TOKEN_INVALID', 'the Authorization header must be "Bearer <token>"');
    }
    return bearer;
  }
  const tokens = new URLSearchParams(query).getAll('access_token');
  if (tokens.length > 1) throw new UpgradeError('TOKEN_INVALID', 'give access_token once');
  return tokens[0] === '' ? undefined : tokens[0];
}

/** Why a token was refused, without ever repeating the token. */
function refusal(error: unknown): UpgradeError {
  if (error instanceof errors.JWTExpired) return new UpgradeError('TOKEN_INVALID', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new UpgradeError(
      'TOKEN_INVALID',
      `the token's "${error.claim}" claim is not accepted: ${error.reason}`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new UpgradeError(
      'TOKEN_INVALID',
      'the token is signed with an algorithm this gateway does not accept',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new UpgradeError('TOKEN_INVALID', 'the token is not signed with a key this gateway trusts');
  }
  return new UpgradeError('TOKEN_INVALID', 'the token is not a well-formed signed JWT');
}

/** Verifies JWTs (HS256 with a secret, or RS256/ES256 with a key set) for private streams. */
export class TokenVerifier {
  readonly #config: AuthConfig;
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #algorithms: string[];

  constructor(config: AuthConfig) {
    this.#config = config;
    this.#key = config.key.kind === 'secret' ? config.key.secret : createLocalJWKSet(config.key.jwks);
    this.#algorithms = config.key.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256'];
  }

  isPrivate(stream: string): boolean {
    return (this.#config.privateStreams as ReadonlySet<string>).has(stream);
  }

  /** Rejects with 401 TOKEN_REQUIRED or TOKEN_INVALID. Tokens must carry `exp`. */
  async verify(token: string | undefined): Promise<Grant> {
    if (token === undefined) {
      throw new UpgradeError(
        'TOKEN_REQUIRED',
        'this stream is private: send "Authorization: Bearer <token>" or ?access_token=<token>',
      );
    }
    try {
      const key = this.#key;
      const options = {
        algorithms: this.#algorithms,
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        requiredClaims: ['exp'],
      };
      const { payload } =
        key instanceof Uint8Array
          ? await jwtVerify(token, key, options)
          : await jwtVerify(token, key, options);
      return { expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (error) {
      throw refusal(error);
    }
  }
}
