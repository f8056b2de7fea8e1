/**
 * `blockcast emit`, `catalog`, `status` and `--help` against the real stack (Redis, ingest, two
 * gateways, discovery, a plugin host, each its own process), every exit code of each; and the
 * package installed on its own from `npm pack`, tailing the same stack.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, makeBlock } from '@blockcast/devkit';
import { BlockcastProcess, runBlockcast } from '../support/blockcast-cli.js';
import { redisOrSkip } from '../support/redis.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';

const run = promisify(execFile);
const available = await redisOrSkip();

test('--help on every command prints its usage and examples and exits 0; an unknown command exits 1', async () => {
  for (const command of ['tail', 'emit', 'catalog', 'status']) {
    const help = await runBlockcast([command, '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^usage: blockcast ${command}`));
    assert.match(help.stdout, new RegExp(`examples:\\n  blockcast ${command}`));
    assert.match(help.stdout, /exit codes: 0 /);
  }
  const overview = await runBlockcast(['--help']);
  assert.equal(overview.code, 0);
  for (const command of ['tail', 'emit', 'catalog', 'status'])
    assert.match(overview.stdout, new RegExp(`  ${command} `));
  const unknown = await runBlockcast(['tial']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command tial/);
  const none = await runBlockcast([]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /usage: blockcast <command>/);
});

describe(
  'blockcast emit, catalog, status',
  { ...('skip' in available ? { skip: available.skip } : {}), timeout: 240_000 },
  () => {
    let stack: ServiceStack;
    let env: Record<string, string>;
    let ops: string[];

    before(async () => {
      if ('skip' in available) return;
      stack = await startServiceStack({
        redisUrl: available.redis.url,
        gateways: 2,
        label: 'cli-commands',
        plugins: 'console',
      });
      env = {
        BLOCKCAST_API_ROOT: `${stack.discovery.url}/api/v1/`,
        BLOCKCAST_INGEST_URL: stack.ingest.url,
        BLOCKCAST_TOKEN: stack.token,
      };
      ops = [
        '--discovery-ops',
        stack.discovery.opsUrl,
        '--ingest-ops',
        stack.ingest.opsUrl,
        ...stack.gateways.flatMap((gateway) => ['--gateway-ops', `http://127.0.0.1:${gateway.opsPort}`]),
        '--plugins-ops',
        stack.plugins!.opsUrl,
      ];
      for (let height = 1; height <= 3; height += 1)
        assert.equal((await stack.post(makeBlock(height, 1))).status, 201);
    });

    after(async () => {
      if (stack) await stack.stop();
    });

    test('emit prints the position ingest gave; the same --key again is the same event; a tail on events sees it', async () => {
      const events = new BlockcastProcess(['tail', 'events?types=NODE_STATUS', '-o', '{position} {type}'], {
        env,
      });
      await events.waitForStderr(/open/);
      const content = '{"node_id": "node-1", "status": "up"}';
      const first = await runBlockcast(['emit', 'NODE_STATUS', content, '--key', 'cli-test-key-1'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^3-1\n$/);
      const again = await runBlockcast(
        ['emit', 'NODE_STATUS', content, '--key', 'cli-test-key-1', '-o', 'json'],
        {
          env,
        },
      );
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).position, '3-1');
      const generated = await runBlockcast(['emit', 'NODE_STATUS', content], { env });
      assert.equal(generated.stdout, '3-2\n');
      assert.match(generated.stderr, /--key [0-9a-f-]{36}/);
      await events.waitForLines(2);
      assert.deepEqual(events.lines(), ['3-1 NODE_STATUS', '3-2 NODE_STATUS']);
      assert.equal(await events.stop(), 0);
    });

    test('emit exits 6 for a refused event, 5 for a refused token, 1 for content that is not JSON, 2 with no ingest', async () => {
      const invalid = await runBlockcast(['emit', 'NODE_STATUS', '{"node_id": "n", "status": "fine"}'], {
        env,
      });
      assert.equal(invalid.code, 6, invalid.stderr);
      assert.match(invalid.stderr, /INVALID_EVENT/);
      const unknownType = await runBlockcast(['emit', 'NO_SUCH_TYPE', '{}'], { env });
      assert.equal(unknownType.code, 6, unknownType.stderr);
      const token = await runBlockcast(
        ['emit', 'NODE_STATUS', '{"node_id": "n", "status": "up"}', '--token', 'wrong'],
        {
          env,
        },
      );
      assert.equal(token.code, 5, token.stderr);
      const notJson = await runBlockcast(['emit', 'NODE_STATUS', '{node_id: n}'], { env });
      assert.equal(notJson.code, 1);
      assert.match(notJson.stderr, /the content is not JSON/);
      const nowhere = await runBlockcast(
        [
          'emit',
          'NODE_STATUS',
          '{"node_id": "n", "status": "up"}',
          '--ingest',
          `http://127.0.0.1:${await freePort()}`,
          '--key',
          'k-2',
        ],
        { env },
      );
      assert.equal(nowhere.code, 2, nowhere.stderr);
      assert.match(nowhere.stderr, /run again with --key k-2/);
    });

    test('catalog names the streams, their parameters, the event types, epoch, head and oldest', async () => {
      const json = await runBlockcast(['catalog'], { env });
      assert.equal(json.code, 0, json.stderr);
      const catalog = JSON.parse(json.stdout) as {
        epoch: string;
        head: number;
        oldest: number;
        streams: { name: string; parameters: string[] }[];
        event_types: { name: string; bit: number }[];
      };
      assert.match(catalog.epoch, /^[0-9a-f]+$/);
      assert.equal(catalog.oldest, 1);
      assert.ok(catalog.head >= 3, `head ${catalog.head}`);
      assert.deepEqual(
        catalog.streams.map((stream) => stream.name),
        ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions', 'events'],
      );
      assert.deepEqual(catalog.streams.find((stream) => stream.name === 'valid_blocks')?.parameters, [
        'since',
        'epoch',
      ]);
      assert.deepEqual(
        catalog.event_types.map((type) => [type.name, type.bit]),
        [
          ['BLOCK_VALID', 1],
          ['BLOCK_INVALID', 2],
          ['NODE_STATUS', 4],
          ['APP_MESSAGE', 8],
        ],
      );
      const pretty = await runBlockcast(['catalog', '-o', 'pretty'], { env });
      assert.match(pretty.stdout, new RegExp(`epoch +${catalog.epoch}\\n`));
      assert.match(pretty.stdout, /\n {2}events +types since epoch public_key asset_id operation\n/);

      const nowhere = await runBlockcast([
        'catalog',
        '--api-root',
        `http://127.0.0.1:${await freePort()}/api/v1/`,
      ]);
      assert.equal(nowhere.code, 2);
      assert.match(nowhere.stderr, /cannot read the catalog/);
    });

    test('status reports every service ready with its height and lag, and exits 8 naming a gateway that is down', async () => {
      const ready = await runBlockcast(['status', ...ops], { env });
      assert.equal(ready.code, 0, ready.stdout + ready.stderr);
      const report = JSON.parse(ready.stdout) as {
        ready: boolean;
        head: number;
        services: {
          service: string;
          ready: boolean;
          height?: number;
          lag_blocks?: number;
          plugins?: object;
        }[];
      };
      assert.equal(report.ready, true);
      assert.deepEqual(
        report.services.map((service) => [service.service, service.ready]),
        [
          ['discovery', true],
          ['ingest', true],
          ['gateway', true],
          ['gateway', true],
          ['plugins', true],
        ],
      );
      const gateway = report.services.find((service) => service.service === 'gateway')!;
      assert.equal(gateway.height, report.head);
      assert.equal(gateway.lag_blocks, 0);
      assert.deepEqual(report.services.at(-1)?.plugins, { console: true });

      assert.equal(await stack.stopGateway(1), 0);
      try {
        const down = await runBlockcast(['status', ...ops, '-o', 'pretty'], { env });
        assert.equal(down.code, 8, down.stdout + down.stderr);
        assert.match(
          down.stdout,
          new RegExp(`gateway +http://127.0.0.1:${stack.gateways[1]!.opsPort} +NO .*no answer`),
        );
      } finally {
        await stack.startGateway(1);
      }
    });

    test('the package installed on its own from npm pack runs blockcast against the stack', async (t) => {
      const packed = mkdtempSync(join(tmpdir(), 'blockcast-pack-'));
      t.after(() => rmSync(packed, { recursive: true, force: true }));
      const started = performance.now();
      await run('npm', ['pack', '--pack-destination', packed], {
        cwd: fileURLToPath(new URL('../../packages/client/', import.meta.url)),
      });
      const tarball = readdirSync(packed).find((name) => name.endsWith('.tgz'))!;
      const { stdout: files } = await run('tar', ['-tzf', join(packed, tarball)]);
      assert.deepEqual(files.trim().split('\n').sort(), [
        'package/bin/blockcast.js',
        'package/dist/blockcast.js',
        'package/package.json',
      ]);
      const app = join(packed, 'app');
      await run('mkdir', [app]);
      writeFileSync(join(app, 'package.json'), '{"name": "app", "private": true}');
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packed, tarball)], {
        cwd: app,
      });
      t.diagnostic(`npm pack and install: ${Math.round(performance.now() - started)} ms`);
      const installed = await runBlockcast(
        ['tail', 'valid_blocks', '--since', '1', '--epoch', await epochOf(env), '-c', '2'],
        {
          env,
          cwd: app,
          command: join(app, 'node_modules', '.bin', 'blockcast'),
        },
      );
      assert.equal(installed.code, 0, installed.stderr);
      assert.deepEqual(
        installed.lines().map((line) => JSON.parse(line).height),
        [2, 3],
      );
    });
  },
);

async function epochOf(env: Record<string, string>): Promise<string> {
  return (JSON.parse((await runBlockcast(['catalog'], { env })).stdout) as { epoch: string }).epoch;
}
