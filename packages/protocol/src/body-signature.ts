import { createHmac } from 'node:crypto';

/**
 * The body signature blockcast verifies on ingest and puts on webhook deliveries, Stripe-style:
 * `X-Blockcast-Signature: t=<unix seconds>,v1=<hex>` where v1 is HMAC-SHA256(secret, "<t>.<raw body>").
 */
export const BODY_SIGNATURE_HEADER = 'x-blockcast-signature';

/** The header value for `body` signed with `secret` at `timestampSeconds`. */
export function signBodyWith(secret: string, body: string | Buffer, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}
