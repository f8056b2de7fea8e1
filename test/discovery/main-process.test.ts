import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../services/discovery/src/main.ts', import.meta.url));

/** Runs main.ts as its own process with exactly the given environment (plus PATH). */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('services/discovery/src/main.ts', () => {
  test('a bad variable exits 1 naming it', { timeout: 30_000 }, async () => {
    const run = runMain({ ADVERTISED_STREAMS_SCHEME: 'https' });
    const [code] = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output().stderr, /^discovery: cannot start: ADVERTISED_STREAMS_SCHEME: /m);
  });

  test('a DISCOVERY_OPS_PORT equal to DISCOVERY_PORT exits 1 naming it', { timeout: 30_000 }, async () => {
    const run = runMain({ DISCOVERY_PORT: '19990', DISCOVERY_OPS_PORT: '19990' });
    const [code] = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output().stderr, /^discovery: cannot start: DISCOVERY_OPS_PORT: /m);
  });

  test(
    'serves the API and the ops port, logs both as JSON, and exits 0 on SIGTERM',
    { timeout: 30_000 },
    async () => {
      const run = runMain({
        DISCOVERY_HOST: '127.0.0.1',
        DISCOVERY_PORT: '0',
        DISCOVERY_OPS_PORT: '0',
        BLOCKCAST_PROFILE: 'planetmint',
      });
      const { url, opsPort } = await new Promise<{ url: string; opsPort: number }>((resolve, reject) => {
        run.child.stdout.on('data', () => {
          const line = run
            .output()
            .stdout.split('\n')
            .find((entry) => entry.includes('discovery listening'));
          if (line) resolve(JSON.parse(line) as { url: string; opsPort: number });
        });
        run.exited.then(() => reject(new Error(`exited early: ${run.output().stderr}`)));
      });
      const root = (await (await fetch(`${url}/`)).json()) as { software: string };
      assert.equal(root.software, 'Planetmint');
      assert.equal((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status, 200);
      run.child.kill('SIGTERM');
      const [code] = await run.exited;
      assert.equal(code, 0);
    },
  );
});
