/**
 * The original servers' published documents (../shared/fixtures beside the repo, as laid out
 * for CI too). A missing fixture is a test failure, never a skip.
 */
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

export function fixture<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}
