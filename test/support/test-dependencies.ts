/**
 * The one rule for what a test needs from the machine. On a developer machine a missing Redis or
 * tool skips the tests that need it; in CI (CI=true: .ci/run installs everything) it fails them,
 * and REQUIRE_REDIS=1 makes a missing Redis (or redis-server binary) fail them anywhere.
 */
import { spawnSync } from 'node:child_process';

const inCi = process.env.CI === 'true';
const redisRequired = inCi || process.env.REQUIRE_REDIS === '1';

/** `{ skip: why }` for tests whose `what` is missing, or throws when this run requires it. */
export function missing(what: string, install: string, kind: 'redis' | 'tool' = 'tool'): { skip: string } {
  if (kind === 'redis' ? redisRequired : inCi) {
    const rule = kind === 'redis' ? 'CI=true or REQUIRE_REDIS=1' : 'CI=true';
    throw new Error(`${what} is missing, and ${rule} requires it: ${install}`);
  }
  return { skip: `${what} is missing (${install})` };
}

/** `{}` when the redis-server binary is installed: for tests that start, stop or flush servers of their own. */
export function redisServerOrSkip(): { skip?: string } {
  if (spawnSync('redis-server', ['--version']).status === 0) return {};
  return missing('redis-server', 'apt-get install -y redis-server', 'redis');
}
