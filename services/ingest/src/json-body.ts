import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import type { RequestAuth } from './auth/request-auth.js';
import { invalidJson, invalidUtf8, jsonTooDeep, unsafeNumber } from './errors.js';
import { MAX_JSON_DEPTH, tooDeepAt } from './json-depth.js';
import { unsafeNumberAt } from './json-numbers.js';

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The only body parser of the blocks route: the raw bytes are needed for the HMAC, so the body
 * arrives as a Buffer, is verified, then checked (UTF-8, nesting depth, numbers a double cannot
 * hold) and parsed exactly once.
 * Invalid UTF-8 is refused rather than decoded with replacement characters: two bodies with
 * different bad bytes would otherwise read as the same block and the second answer 200 duplicate.
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
    if (!isUtf8(body)) {
      done(invalidUtf8());
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      done(invalidJson((error as Error).message));
      return;
    }
    const tooDeep = tooDeepAt(parsed, MAX_JSON_DEPTH);
    if (tooDeep !== undefined) {
      done(jsonTooDeep(tooDeep, MAX_JSON_DEPTH));
      return;
    }
    const unsafe = unsafeNumberAt(parsed);
    if (unsafe !== undefined) {
      done(unsafeNumber(unsafe));
      return;
    }
    done(null, parsed);
  };
}
