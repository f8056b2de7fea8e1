/**
 * The original servers' published documents, copied into test/fixtures (its README says where
 * each was published). The one fixture loader: a missing fixture is a test failure, never a skip.
 */
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/', import.meta.url);

export function fixture<T = unknown>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}
