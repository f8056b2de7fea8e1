import type { FastifyRequest } from 'fastify';
import type { RequestAuth } from './auth/request-auth.js';
import { invalidJson } from './errors.js';

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The only body parser of the blocks route: the raw bytes are needed for the HMAC, so the body
 * arrives as a Buffer, is verified, then parsed exactly once.
 *
 * Plain JSON.parse rather than a prototype-poisoning filter: asset data is arbitrary user JSON
 * that may legitimately hold `__proto__` or `constructor` keys, a committed block must never be
 * refused for that, and nothing here merges the parsed body into other objects.
 */
export function jsonBodyParser(auth: RequestAuth) {
  return (request: FastifyRequest, body: Buffer, done: Done): void => {
    try {
      auth.checkBody(request, body);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (body.length === 0) {
      done(invalidJson('the body is empty'));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      done(invalidJson((error as Error).message));
      return;
    }
    done(null, parsed);
  };
}
