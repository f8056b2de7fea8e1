import type { FastifyRequest } from 'fastify';
import type { IngestAuthConfig } from '../config.js';
import { signatureInvalid, unauthorized } from '../errors.js';
import { BearerTokens } from './bearer-tokens.js';
import { HmacSignatures, SIGNATURE_HEADER, type SignatureHeader } from './hmac-signature.js';

/**
 * Who may post blocks. Either credential suffices when both are configured. The headers are
 * checked before the body is read (an unauthenticated sender cannot make us buffer megabytes);
 * a signature is then verified over the raw body bytes by the body parser, before JSON parsing.
 */
export class RequestAuth {
  readonly #tokens: BearerTokens;
  readonly #signatures: HmacSignatures;
  readonly #clock: () => number;
  /** Requests admitted on a fresh signature whose body has not been verified yet. */
  readonly #unverified = new WeakMap<FastifyRequest, SignatureHeader>();

  constructor(config: IngestAuthConfig, clock: () => number = Date.now) {
    this.#tokens = new BearerTokens(config.tokens);
    this.#signatures = new HmacSignatures(config.hmacSecrets, config.hmacMaxSkewSeconds);
    this.#clock = clock;
  }

  get required(): boolean {
    return this.#tokens.configured || this.#signatures.configured;
  }

  /** `WWW-Authenticate` for a 401: the schemes this server accepts. */
  get challenge(): string {
    const schemes: string[] = [];
    if (this.#tokens.configured) schemes.push('Bearer realm="blockcast-ingest"');
    if (this.#signatures.configured) schemes.push('Blockcast-Signature realm="blockcast-ingest"');
    return schemes.join(', ');
  }

  /** onRequest: throws an IngestError (401) unless a token matches or a fresh signature is present. */
  checkHeaders(request: FastifyRequest): void {
    if (!this.required || this.#tokens.accepts(request.headers.authorization)) return;
    const signature = request.headers[SIGNATURE_HEADER];
    if (typeof signature === 'string' && this.#signatures.configured) {
      const header = this.#signatures.check(signature, this.#clock());
      if (!('timestamp' in header)) throw header;
      this.#unverified.set(request, header);
      return;
    }
    throw unauthorized();
  }

  /** Body parser: throws SIGNATURE_INVALID unless the raw body matches the admitted signature. */
  checkBody(request: FastifyRequest, body: Buffer): void {
    const header = this.#unverified.get(request);
    if (header === undefined) return;
    if (!this.#signatures.verify(header, body)) {
      throw signatureInvalid('does not match the body under any configured secret');
    }
    this.#unverified.delete(request);
  }

  /** Handler guard: a signed request whose body never reached the parser is not authenticated. */
  assertVerified(request: FastifyRequest): void {
    if (this.#unverified.has(request)) throw signatureInvalid('was not verified against a body');
  }
}
