/**
 * README's "first five minutes", run as a newcomer runs it: a fresh clone of the committed HEAD,
 * then the commands of the README's quick-start block exactly as written — `npm ci`, `npm start`,
 * `blockcast tail`, the curl with the token `npm start` printed, `blockcast emit`, `blockcast
 * catalog` — on free ports (the README's `localhost:9984`/`9986` rewritten to them). The tail
 * must see the block and the event; the explorer the README points at must answer. A README
 * change that breaks the path fails here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BlockcastProcess } from '../support/blockcast-cli.js';
import { freePortsFor, SERVICE_PORT_VARIABLES } from '../support/redis.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The shell commands between `<!-- quick-start` and `<!-- /quick-start -->`, continuations joined. */
function quickStartCommands(readme: string): string[] {
  const start = readme.indexOf('<!-- quick-start');
  const end = readme.indexOf('<!-- /quick-start -->');
  assert.ok(
    start !== -1 && end > start,
    'README marks its quick start with <!-- quick-start --> … <!-- /quick-start -->',
  );
  const commands: string[] = [];
  for (const block of readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const command of block[1]!.replace(/\\\n\s*/g, '').split('\n'))
      if (command.trim() !== '') commands.push(command.trim());
  }
  return commands;
}

/** Commands that run until stopped: started in the background, the next command waits for them to be up. */
const LONG_RUNNING = [
  { pattern: /\bnpm start\b/, ready: { stream: 'stdout', text: /blockcast is running/ } },
  { pattern: /\bblockcast tail\b/, ready: { stream: 'stderr', text: /blockcast tail: open/ } },
] as const;

test(
  "README's first five minutes from a fresh clone: install, start, watch, post, emit",
  { timeout: 600_000 },
  async (t) => {
    const commands = quickStartCommands(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    t.diagnostic(`README's commands: ${JSON.stringify(commands)}`);
    assert.ok(
      commands.some((command) => /^npm ci\b/.test(command)),
      'the quick start installs',
    );

    const clone = mkdtempSync(join(tmpdir(), 'blockcast-clone-'));
    const background: BlockcastProcess[] = [];
    try {
      await run('git', ['clone', '--quiet', REPO_ROOT, clone]);
      const ports = await freePortsFor(SERVICE_PORT_VARIABLES);
      const env: Record<string, string> = {
        ...ports,
        REDIS_URL: '',
        // `npm ci` from the npm cache the development install filled, as CI and a second clone do.
        npm_config_prefer_offline: 'true',
        BLOCKCAST_API_ROOT: `http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/`,
        BLOCKCAST_INGEST_URL: `http://127.0.0.1:${ports.INGEST_PORT}`,
      };
      const onFreePorts = (command: string) =>
        command
          .replaceAll('localhost:9984', `127.0.0.1:${ports.DISCOVERY_PORT}`)
          .replaceAll('localhost:9986', `127.0.0.1:${ports.INGEST_PORT}`);
      let server: BlockcastProcess | undefined;
      let tail: BlockcastProcess | undefined;
      const outputs: { command: string; stdout: string }[] = [];

      for (const command of commands) {
        const assignment = /^([A-Z_]+)=<[^>]*>$/.exec(command);
        if (assignment) {
          // `TOKEN=<the token npm start printed>`: the reader copies it from npm start's output.
          const token = /Authorization: Bearer (\S+)/.exec(server?.stdout ?? '')?.[1];
          assert.ok(token, `npm start printed a token:\n${server?.stdout}`);
          env[assignment[1]!] = token;
          continue;
        }
        const shell = new BlockcastProcess(['-c', onFreePorts(command)], {
          command: 'bash',
          cwd: clone,
          env,
          group: true,
        });
        const longRunning = LONG_RUNNING.find((kind) => kind.pattern.test(command));
        if (longRunning) {
          background.unshift(shell);
          const { stream, text } = longRunning.ready;
          await shell.until(`${command}: ${text}`, () => text.test(shell[stream]), 120_000);
          if (/npm start/.test(command)) server = shell;
          else tail = shell;
          continue;
        }
        const started = performance.now();
        const code = await shell.exit(300_000);
        t.diagnostic(`${command}: exit ${code} in ${Math.round(performance.now() - started)} ms`);
        assert.equal(code, 0, `${command} failed:\n${shell.stdout}\n${shell.stderr}`);
        outputs.push({ command, stdout: shell.stdout });
      }

      assert.ok(server && tail, 'the quick start starts the stack and watches it');
      const posted = outputs.find(({ command }) => /curl .*\/api\/v1\/blocks/.test(command));
      assert.match(posted?.stdout ?? '', /"status":"appended"/, 'the block was appended');
      const emitted = outputs.find(({ command }) => /blockcast emit/.test(command));
      assert.equal(emitted?.stdout, '1-1\n', 'emit printed the position after block 1');

      // Piped, the tail writes JSON lines: the block's event, then the emitted one.
      await tail.waitForLines(2, 60_000);
      const frames = tail.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        frames.map((frame) => [
          frame.type,
          frame.height,
          frame.seq,
          (frame.transactions as unknown[] | undefined)?.length,
        ]),
        [
          ['BLOCK_VALID', 1, undefined, 2],
          ['NODE_STATUS', 1, 1, undefined],
        ],
      );
      const explorer = await fetch(`http://127.0.0.1:${ports.DISCOVERY_PORT}/explorer`);
      assert.equal(explorer.status, 200);
      assert.match(explorer.headers.get('content-type') ?? '', /text\/html/);
    } finally {
      for (const service of background) await service.stop().catch(() => undefined);
      rmSync(clone, { recursive: true, force: true });
    }
  },
);
