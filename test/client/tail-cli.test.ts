/**
 * `blockcast tail` exits with the code its documentation names for each way it can end without
 * a stack: usage, a parameter the protocol refuses, and nothing to connect to.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/client/bin/blockcast.js', import.meta.url));

function tail(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'tail', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

test('usage errors exit 1 and say what is wrong', { timeout: 60_000 }, async () => {
  const missingRoot = await tail(['valid_blocks']);
  assert.equal(missingRoot.code, 1);
  assert.match(missingRoot.stderr, /--api-root is required/);
  const sinceAlone = await tail(['valid_blocks', '--api-root', 'http://127.0.0.1:1/api/v1/', '--since', '5']);
  assert.equal(sinceAlone.code, 1);
  assert.match(sinceAlone.stderr, /--since needs --epoch/);
});

test('a parameter the stream does not take exits 6 without a connection', { timeout: 60_000 }, async () => {
  const result = await tail(['valid_blocks?public_key=abc', '--api-root', 'http://127.0.0.1:1/api/v1/']);
  assert.equal(result.code, 6);
  assert.match(result.stderr, /PARAMETER_NOT_APPLICABLE/);
});

test('nothing to connect to within --connect-deadline exits 2', { timeout: 60_000 }, async (t) => {
  // A port that accepts nothing: a listener closed again.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  t.diagnostic(`api root on closed port ${port}`);
  const result = await tail([
    'valid_blocks',
    '--api-root',
    `http://127.0.0.1:${port}/api/v1/`,
    '--connect-deadline',
    '2',
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no connection within 2 s/);
});
