/**
 * examples/raw-protocol-client.mjs, run as a user would run it, against the real stack: it must
 * deliver every frame once across gateway kills, and stop with "resynchronise" (exit 4) — not
 * retry 409 forever, not continue silently — when Redis is rolled back under it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@blockcast/devkit';
import { StackControl } from '../conformance/stack-control-client.js';
import { haproxyStackSkip } from '../support/haproxy.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/raw-protocol-client.mjs', import.meta.url));

test(
  'the raw-protocol example loses nothing across gateway kills and stops with resynchronise on a rollback',
  { ...haproxyStackSkip(), timeout: 300_000 },
  async (t) => {
    const control = new StackControl();
    t.after(() => control.stop());
    const stack = await control.start({ gateways: 2 });
    await control.send({ cmd: 'postBlocks', n: 3 });
    await control.send({ cmd: 'snapshotRedis' });
    await control.send({ cmd: 'postBlocks', n: 2 });
    const { head } = await control.send<{ head: number }>({ cmd: 'awaitCatalog' });

    const child = spawn(process.execPath, [EXAMPLE, stack.apiRoot, 'valid_transactions'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.after(() => child.kill('SIGKILL'));
    // Its start point (the catalog's head) is fixed once it connected: only then are more blocks owed to it.
    await waitUntil(() => stderr.includes('connected from'), 60_000, 'the example connected', 50);

    await control.send({ cmd: 'postBlocks', n: 5 });
    await control.killEachGatewayInTurn(3);
    const owed = await control.framesAfter('valid_transactions', '', head);
    await waitUntil(
      () => stdout.split('\n').filter(Boolean).length >= owed.length,
      90_000,
      `the example printing the ${owed.length} frames after block ${head}`,
      100,
    ).catch((error: Error) => {
      const heights = (lines: string[]) =>
        lines.map((line) => (JSON.parse(line) as { height: number }).height).join(',');
      throw new Error(
        `${error.message}; it printed heights ${heights(stdout.split('\n').filter(Boolean))} of ${heights(owed)}; stderr:\n${stderr}`,
      );
    });
    assert.deepEqual(stdout.split('\n').filter(Boolean), owed, 'every frame after the start, once, in order');

    await control.send({ cmd: 'restoreRedis' });
    await control.send({ cmd: 'postBlocks', n: 2 });
    assert.equal(await exited, 4, `exit 4 (resynchronise) on the rollback; stderr:\n${stderr}`);
    assert.match(stderr, /resynchronise/);
  },
);
