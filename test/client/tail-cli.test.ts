/**
 * `blockcast tail` against the real stack (Redis, ingest, a gateway, discovery, each its own
 * process): JSON lines when piped, every output format and `--envelope`, each stop condition with
 * its exit code (the idle timeout bounded in time), and every exit code of a refused or broken
 * subscription.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { makeBlock, startService } from '@blockcast/devkit';
import { BLOCKCAST_BIN, BlockcastProcess, runBlockcast } from '../support/blockcast-cli.js';
import { freePortsFor, redisOrSkip, SERVICE_PORT_VARIABLES } from '../support/redis.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';

const available = await redisOrSkip();
const JWT_SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

/** Blocks 1…6 are posted before the tests; block 3 holds 3 transactions, the others 2. */
const POSTED = 6;

describe(
  'blockcast tail',
  { ...('skip' in available ? { skip: available.skip } : {}), timeout: 180_000 },
  () => {
    let stack: ServiceStack;
    let epoch: string;
    const env = () => ({ BLOCKCAST_API_ROOT: `${stack.discovery.url}/api/v1/` });
    const tail = (args: string[]) => runBlockcast(['tail', ...args], { env: env() });
    /** `tail <stream> --since <since> --epoch <the stack's> …rest`. */
    const fromHistory = (stream: string, since: string, ...rest: string[]) =>
      tail([stream, '--since', since, '--epoch', epoch, ...rest]);

    before(async () => {
      if ('skip' in available) return;
      stack = await startServiceStack({
        redisUrl: available.redis.url,
        gateways: 1,
        label: 'cli-tail',
        gatewayEnv: { GATEWAY_JWT_SECRET: JWT_SECRET, GATEWAY_PRIVATE_STREAMS: 'invalid_transactions' },
      });
      for (let height = 1; height <= POSTED; height += 1) {
        const response = await stack.post(makeBlock(height, height === 3 ? 3 : 2));
        assert.equal(response.status, 201);
      }
      const catalog = await runBlockcast(['catalog'], { env: env() });
      const parsed = JSON.parse(catalog.stdout) as { epoch: string; head: number };
      epoch = parsed.epoch;
      // The catalog is cached for a moment: wait until it names the head posted.
      while (
        (JSON.parse((await runBlockcast(['catalog'], { env: env() })).stdout) as { head: number }).head <
        POSTED
      );
    });

    after(async () => {
      if (stack) await stack.stop();
    });

    test('piped, it writes JSON lines: each frame exactly as the server sent it', async () => {
      const run = await fromHistory('valid_blocks', '0', '-c', '3');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        run.lines().map((line) => JSON.parse(line).height),
        [1, 2, 3],
      );
      // Python's json.dumps spacing, as the original servers send it: the text is not re-serialised.
      for (const line of run.lines())
        assert.match(line, /^\{"height": \d+, "hash": "[0-9A-F]{64}", "transaction_ids": \["/);
    });

    test('on a terminal the default is pretty (stdout a pty, made by script(1))', async () => {
      const command = [
        process.execPath,
        BLOCKCAST_BIN,
        'tail',
        'valid_blocks',
        '--since',
        '0',
        '--epoch',
        epoch,
        '-c',
        '1',
      ];
      const run = await runBlockcast(['-qec', command.join(' '), '/dev/null'], {
        command: 'script',
        env: env(),
      });
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^height=1 hash=[0-9A-F]{64} transaction_ids=[0-9a-f]{64},[0-9a-f]{64}\r?$/m);
      assert.doesNotMatch(run.stdout, /\{"height"/);
    });

    test('-o csv writes a header and one row per frame; -o pretty field=value; --envelope adds position and epoch', async () => {
      const csv = await fromHistory('valid_transactions', '2', '-c', '3', '-o', 'csv', '--envelope');
      assert.equal(csv.code, 0, csv.stderr);
      const [header, ...rows] = csv.lines();
      assert.equal(header, 'position,epoch,height,asset_id,asset_ids,transaction_id');
      assert.equal(rows.length, 3);
      for (const row of rows) assert.match(row, new RegExp(`^3,${epoch},3,[0-9a-f]{64},,[0-9a-f]{64}$`));

      const pretty = await fromHistory('valid_blocks', '0', '-c', '1', '-o', 'pretty');
      assert.match(
        pretty.lines()[0]!,
        /^height=1 hash=[0-9A-F]{64} transaction_ids=[0-9a-f]{64},[0-9a-f]{64}$/,
      );

      const enveloped = await fromHistory('valid_blocks', '1', '-c', '1', '--envelope');
      const line = JSON.parse(enveloped.lines()[0]!) as Record<string, unknown>;
      assert.deepEqual(
        {
          stream: line.stream,
          position: line.position,
          epoch: line.epoch,
          height: (line.frame as { height: number }).height,
        },
        { stream: 'valid_blocks', position: '2', epoch, height: 2 },
      );
    });

    test("a template prints the fields it names; an unknown field is a usage error naming the stream's fields", async () => {
      const run = await fromHistory('valid_transactions', '0', '-c', '2', '-o', '{height} {id} {position}');
      assert.equal(run.code, 0, run.stderr);
      for (const line of run.lines()) assert.match(line, /^1 [0-9a-f]{64} 1$/);

      const unknown = await tail(['valid_transactions', '-o', '{height} {nope}']);
      assert.equal(unknown.code, 1);
      assert.match(
        unknown.stderr,
        /no field \{nope\} in valid_transactions frames; fields: height, asset_id, asset_ids, transaction_id/,
      );
      assert.equal(unknown.stdout, '');
    });

    test('-c N exits 0 after exactly N frames though more are there', async () => {
      const run = await fromHistory('valid_transactions', '0', '-c', '4', '-o', '{height}');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.lines(), ['1', '1', '2', '2']);
    });

    test('--until P exits 0 at P on valid_blocks, and at the first frame after P (not printed) on valid_transactions', async () => {
      const blocks = await fromHistory('valid_blocks', '1', '--until', '4', '-o', '{height}');
      assert.equal(blocks.code, 0, blocks.stderr);
      assert.deepEqual(blocks.lines(), ['2', '3', '4']);

      const transactions = await fromHistory('valid_transactions', '2', '--until', '3', '-o', '{height}');
      assert.equal(transactions.code, 0, transactions.stderr);
      assert.deepEqual(transactions.lines(), ['3', '3', '3']);
      assert.match(transactions.stderr, /reached 3/);
    });

    test('--exit-at-head prints the history up to the head the catalog names and exits 0; at the head already, at once', async () => {
      const run = await fromHistory('valid_blocks', '0', '--exit-at-head', '-o', '{height}');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        run.lines(),
        Array.from({ length: POSTED }, (_, i) => String(i + 1)),
      );
      const atHead = await tail(['valid_blocks', '--exit-at-head']);
      assert.equal(atHead.code, 0, atHead.stderr);
      assert.equal(atHead.stdout, '');
      assert.match(atHead.stderr, new RegExp(`at the head \\(${POSTED}\\) already`));
    });

    test('--idle-timeout exits 7 once no frame came for that long, and not before', async () => {
      const run = await tail(['valid_blocks', '--idle-timeout', '1500ms']);
      assert.equal(run.code, 7, run.stderr);
      assert.match(run.stderr, /no frame within 1500ms/);
      // Bounded both ways: not before the timeout, and not much after it (process start included).
      assert.ok(run.elapsedMs >= 1500, `exited after ${run.elapsedMs} ms`);
      assert.ok(run.elapsedMs < 15_000, `exited after ${run.elapsedMs} ms`);
    });

    test('-c 1 with --idle-timeout: a live tail waiting for the next block prints it and exits 0 before the timeout', async () => {
      const waiting = new BlockcastProcess(
        ['tail', 'valid_blocks', '-c', '1', '--idle-timeout', '60s', '-o', '{height}'],
        {
          env: env(),
        },
      );
      await waiting.waitForStderr(/open/);
      assert.equal((await stack.post(makeBlock(POSTED + 1, 1))).status, 201);
      assert.equal(await waiting.exit(), 0, waiting.stderr);
      assert.deepEqual(waiting.lines(), [String(POSTED + 1)]);
    });

    test("a value the gateway refuses exits 6 with the server's JSON error, not a bare status", async () => {
      const run = await tail(['events?types=NO_SUCH_TYPE']);
      assert.equal(run.code, 6, run.stderr);
      assert.match(run.stderr, /refused 400 [A-Z_]+: .*NO_SUCH_TYPE/);
    });

    test('SIGTERM ends a live tail with 0', async () => {
      const live = new BlockcastProcess(['tail', 'valid_blocks'], { env: env() });
      await live.waitForStderr(/open/);
      assert.equal(await live.stop(), 0, live.stderr);
    });

    test("a history that is not the position's exits 4; a private stream without a valid token exits 5", async () => {
      const reset = await tail(['valid_blocks', '--since', '1', '--epoch', 'not-this-history']);
      assert.equal(reset.code, 4, reset.stderr);
      assert.match(reset.stderr, /the history changed/);
      const epochAlone = await tail(['valid_blocks', '--epoch', 'not-this-history']);
      assert.equal(epochAlone.code, 4, epochAlone.stderr);

      const noToken = await tail(['invalid_transactions']);
      assert.equal(noToken.code, 5, noToken.stderr);
      assert.match(noToken.stderr, /refused 401/);
      const badToken = await tail(['invalid_transactions', '--token', 'not-a-jwt']);
      assert.equal(badToken.code, 5, badToken.stderr);
    });
  },
);

test(
  'events after a position no longer kept exit 3 (npm start with RETAIN_BLOCKS=2)',
  { timeout: 90_000 },
  async () => {
    const ports = await freePortsFor(SERVICE_PORT_VARIABLES);
    const all = startService('all', {
      env: {
        ...ports,
        DEMO_CHAIN: 'false',
        REDIS_URL: '',
        INGEST_TOKENS: 'cli-token-at-least-16-chars',
        RETAIN_BLOCKS: '2',
      },
    });
    try {
      await all.waitForOutput(/blockcast is running/);
      for (let height = 1; height <= 5; height += 1) {
        const response = await fetch(`http://127.0.0.1:${ports.INGEST_PORT}/api/v1/blocks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer cli-token-at-least-16-chars',
          },
          body: JSON.stringify(makeBlock(height, 1)),
        });
        assert.equal(response.status, 201);
      }
      const apiRoot = `http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/`;
      const catalog = await runBlockcast(['catalog', '--api-root', apiRoot]);
      const { epoch } = JSON.parse(catalog.stdout) as { epoch: string };
      const run = await runBlockcast([
        'tail',
        'valid_blocks',
        '--api-root',
        apiRoot,
        '--since',
        '1',
        '--epoch',
        epoch,
      ]);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /history gone/);
    } finally {
      assert.equal(await all.stop(), 0, all.output());
    }
  },
);

test('usage errors exit 1 and say what is wrong', { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['tail', 'valid_blocks', '--since', '5'], /--since needs --epoch/],
    [['tail', 'valid_blocks', '--bogus'], /unknown option --bogus/],
    [['tail', 'valid_blocks', '-o', 'xml'], /-o takes jsonl, pretty, csv or a template/],
    [['tail', 'valid_blocks', '-c', '0'], /-c\/--count takes a whole number/],
    [['tail', 'valid_blocks', '--idle-timeout', 'soon'], /--idle-timeout takes a duration/],
    [['tail', 'valid_blocks', '--until', 'x'], /--until takes a position/],
    [['tail', 'valid_tx', '--exit-at-head'], /valid_tx frames carry no position/],
    [['tail', 'valid_blocks', 'events'], /name one stream/],
    [['tail', 'valid_blocks', '--count'], /-c\/--count needs a value/],
  ];
  for (const [args, message] of cases) {
    const run = await runBlockcast(args, { env: { BLOCKCAST_API_ROOT: 'http://127.0.0.1:1/api/v1/' } });
    assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /usage: blockcast tail/);
  }
});

test('a parameter the stream does not take exits 6 without a connection', { timeout: 60_000 }, async () => {
  const result = await runBlockcast([
    'tail',
    'valid_blocks?public_key=abc',
    '--api-root',
    'http://127.0.0.1:1/api/v1/',
  ]);
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
  const result = await runBlockcast([
    'tail',
    'valid_blocks',
    '--api-root',
    `http://127.0.0.1:${port}/api/v1/`,
    '--connect-deadline',
    '2',
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no connection within 2 s/);
});
