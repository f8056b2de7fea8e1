/**
 * The end-to-end stack's start must not leave processes behind when it fails: a service that is
 * not ready (or exits) fails the start, and every service already started is stopped, so the
 * test file ends instead of waiting on orphaned children.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import { startServiceStack } from '../support/service-stack.js';

/** PIDs of this process's children that run a blockcast service. */
function serviceChildren(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('services/'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe('service stack start', () => {
  test(
    'a start that fails (no Redis: never ready) stops every service it started',
    { timeout: 90_000 },
    async () => {
      // Port 1 on loopback: nothing listens, so no service turns ready (a gateway gives up and exits).
      await assert.rejects(
        startServiceStack({ redisUrl: 'redis://127.0.0.1:1', label: 'failed-start', gateways: 2 }),
      );
      await waitUntil(() => serviceChildren().length === 0, 15_000, 'every started service gone', 100);
    },
  );
});
