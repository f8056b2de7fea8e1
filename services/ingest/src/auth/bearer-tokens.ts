import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens compared in constant time: both sides are hashed to 32 bytes first so neither
 * the length nor the content of a configured token leaks through timing, and every configured
 * token is compared (no early exit) so the position of a match does not leak either.
 */
export class BearerTokens {
  readonly #digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digest);
  }

  get configured(): boolean {
    return this.#digests.length > 0;
  }

  /** True when the `Authorization` header carries one of the configured tokens. */
  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined || this.#digests.length === 0) return false;
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (match === null) return false;
    const presented = digest(match[1]!);
    let accepted = false;
    for (const known of this.#digests) {
      if (timingSafeEqual(presented, known)) accepted = true;
    }
    return accepted;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
