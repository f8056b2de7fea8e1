import { createHmac, timingSafeEqual } from 'node:crypto';
import { BODY_SIGNATURE_HEADER } from '@blockcast/protocol';
import { type IngestError, signatureInvalid, signatureStale } from '../errors.js';

/**
 * Stripe-style body signatures: `X-Blockcast-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`
 * where each v1 is HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp bounds replays; several
 * v1 values and several configured secrets let senders and servers rotate secrets independently.
 */
/** The one header name, shared with the webhook plugin's deliveries. */
export const SIGNATURE_HEADER = BODY_SIGNATURE_HEADER;

export interface SignatureHeader {
  timestamp: number;
  signatures: Buffer[];
}

/** Parses the header; an IngestError says what is wrong with it. */
export function parseSignatureHeader(value: string): SignatureHeader | IngestError {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const item = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(item)) timestamp = Number(item);
    else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(item)) signatures.push(Buffer.from(item, 'hex'));
  }
  if (timestamp === undefined) return signatureInvalid('has no t=<unix seconds>');
  if (signatures.length === 0) return signatureInvalid('has no v1=<64 hex chars>');
  return { timestamp, signatures };
}

export class HmacSignatures {
  readonly #secrets: readonly string[];
  readonly #maxSkewSeconds: number;

  constructor(secrets: readonly string[], maxSkewSeconds: number) {
    this.#secrets = secrets;
    this.#maxSkewSeconds = maxSkewSeconds;
  }

  get configured(): boolean {
    return this.#secrets.length > 0;
  }

  /** Header-only checks, before the body is read: an error, or the parsed header to verify later. */
  check(value: string, nowMs: number): SignatureHeader | IngestError {
    const header = parseSignatureHeader(value);
    if (!('timestamp' in header)) return header;
    const skew = Math.abs(Math.floor(nowMs / 1000) - header.timestamp);
    if (skew > this.#maxSkewSeconds) return signatureStale(header.timestamp, skew, this.#maxSkewSeconds);
    return header;
  }

  /** True when any v1 matches the raw body under any configured secret (constant-time compares). */
  verify(header: SignatureHeader, body: Buffer): boolean {
    const prefix = `${header.timestamp}.`;
    let valid = false;
    for (const secret of this.#secrets) {
      const expected = createHmac('sha256', secret).update(prefix).update(body).digest();
      for (const signature of header.signatures) {
        if (timingSafeEqual(expected, signature)) valid = true;
      }
    }
    return valid;
  }
}
