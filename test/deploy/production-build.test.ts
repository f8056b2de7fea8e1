/**
 * The container image's contents without a Docker engine (none runs here): the production layout
 * built by the same code the Dockerfile's build stage runs (compiled dist, manifests, lock,
 * entrypoint, `npm ci --omit=dev`), in a temp directory outside the repository so nothing resolves
 * from the development install. Ingest, gateway and discovery start from it through the entrypoint
 * against a real Redis; a posted block reaches a real WebSocket client, then the demo chain's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  buildRuntimeLayout,
  productionWorkspaces,
  SERVICE_ENTRIES,
  type ServiceKind,
  type ServiceProcess,
  startService,
  uwsBinaries,
} from '@blockcast/devkit';
import { assertFirstBlockDelivered, freeStackPorts, stackEnv } from '../support/deployed-stack.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';
import { unbuiltCopy } from '../support/unbuilt-copy.js';
import { RecordingClient } from '../support/ws-client.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const available = await redisOrSkip();

describe(
  'production build (the container image layout)',
  {
    ...('skip' in available ? { skip: available.skip } : {}),
    timeout: 300_000,
  },
  () => {
    const layout = mkdtempSync(join(tmpdir(), 'blockcast-runtime-'));
    const services: ServiceProcess[] = [];
    const fromLayout = (kind: ServiceKind, env: Record<string, string>) =>
      startService(kind, {
        env: { ...env, LOG_LEVEL: 'warn' },
        launch: { command: join(layout, 'entrypoint.sh'), args: [kind], cwd: layout },
      });

    // Built in a copy without any compiled output, as in a fresh clone: CI's type check (`tsc -b`)
    // compiles every project first and would hide a service `npm run build` leaves out.
    const source = unbuiltCopy(REPO_ROOT);

    before(async () => {
      await run('npm', ['run', 'build'], { cwd: source });
      // --prefer-offline: the packages are in the npm cache from the development install.
      await buildRuntimeLayout(layout, { repo: source, preferOffline: true });
    });

    after(async () => {
      const codes = await Promise.all(services.map((service) => service.stop()));
      rmSync(layout, { recursive: true, force: true });
      rmSync(source, { recursive: true, force: true });
      assert.deepEqual(
        codes,
        codes.map(() => 0),
        'every compiled service exits cleanly on SIGTERM',
      );
    });

    test('the runtime layout has compiled code and production dependencies only', () => {
      // (`ws` is a production dependency of ingest: the chain follower's NewBlock subscription.)
      for (const tool of ['tsx', 'typescript', '@biomejs/biome', 'testcontainers', 'esbuild', 'fast-check']) {
        assert.equal(existsSync(join(layout, 'node_modules', tool)), false, `${tool} is not installed`);
      }
      for (const folder of productionWorkspaces()) {
        assert.equal(existsSync(join(layout, folder, 'src')), false, `${folder} ships no sources`);
        assert.ok(existsSync(join(layout, folder, 'dist', 'index.js')), `${folder} ships dist/index.js`);
      }
      assert.equal(existsSync(join(layout, 'packages', 'devkit')), false, 'the dev kit is not shipped');
      assert.equal(existsSync(join(layout, 'node_modules', '@blockcast', 'devkit')), false);
      const own = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
      const binaries = uwsBinaries(layout);
      assert.ok(binaries.length > 0, 'a uWebSockets.js binary is installed');
      assert.deepEqual(
        binaries.filter((file) => basename(file) !== own),
        [],
        'the gateway transport keeps only the native binaries this Node loads',
      );
    });

    test('ingest, gateway, discovery, the demo chain and the plugin host run from compiled JavaScript and stream blocks', async () => {
      const token = randomBytes(24).toString('hex');
      const shared = {
        REDIS_URL: 'redis' in available ? available.redis.url : '',
        BLOCKCAST_STREAM_PREFIX: uniquePrefix('production-build'),
      };
      const ports = await freeStackPorts();
      const env = stackEnv(ports, token);
      services.push(
        fromLayout('ingest', { ...shared, ...env.ingest }),
        // No load balancer to wait for here: stop() then ends well within its SIGKILL fallback.
        fromLayout('gateway', { ...shared, ...env.gateway, GATEWAY_DRAIN_DELAY_MS: '0' }),
        fromLayout('discovery', { ...shared, ...env.discovery }),
      );
      const [ingest, gateway, discovery] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
      await Promise.all([
        ingest.waitUntilReady(`http://127.0.0.1:${ports.ingestOps}/readyz`),
        gateway.waitUntilReady(`http://127.0.0.1:${ports.gatewayOps}/readyz`),
        discovery.waitUntilReady(`http://127.0.0.1:${ports.discoveryOps}/readyz`),
      ]);
      for (const service of services) {
        assert.match(
          service.child.spawnargs.join(' '),
          /entrypoint\.sh/,
          `${service.name} started by the entrypoint`,
        );
      }

      const streams = await assertFirstBlockDelivered(
        {
          discovery: `http://127.0.0.1:${ports.discovery}`,
          ingest: `http://127.0.0.1:${ports.ingest}`,
          token,
        },
        15_000,
      );
      // The explorer's bundle, written by `npm run build`, is served by compiled discovery (no esbuild there).
      const explorer = await fetch(`http://127.0.0.1:${ports.discovery}/explorer/explorer.js`);
      assert.equal(explorer.status, 200, 'compiled discovery serves the explorer bundle');
      assert.match(String(explorer.headers.get('content-type')), /^text\/javascript/);

      // The fourth service of the image: its blocks continue the chain after the posted one.
      const blocksUrl = new URL(streams);
      blocksUrl.pathname = '/api/v1/streams/valid_blocks';
      const blocksClient = await RecordingClient.connect(blocksUrl.toString());
      services.push(
        fromLayout('demo-chain', {
          INGEST_URL: `http://127.0.0.1:${ports.ingest}`,
          INGEST_TOKENS: token,
          DEMO_INTERVAL_MS: '50',
        }),
      );
      await blocksClient.waitForFrames(2, 15_000);
      const heights = blocksClient.frames.map((frame) => (JSON.parse(frame) as { height: number }).height);
      assert.deepEqual(
        heights.slice(0, 2),
        [2, 3],
        'the demo chain commits heights 2, 3, … after the posted block',
      );
      await blocksClient.close();

      // The fifth: the plugin host forks its runners from compiled JavaScript too.
      const pluginsOps = await freePort();
      const plugins = fromLayout('plugins', {
        ...shared,
        PLUGINS: 'console',
        PLUGINS_HOST: '127.0.0.1',
        PLUGINS_OPS_PORT: String(pluginsOps),
      });
      services.push(plugins);
      await plugins.waitUntilReady(`http://127.0.0.1:${pluginsOps}/readyz`);
    });

    test('the entrypoint refuses an unknown service, naming the ones it runs', async () => {
      const refused = await run(join(layout, 'entrypoint.sh'), ['gatewya']).then(
        () => assert.fail('the entrypoint accepted an unknown service'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(refused.code, 64);
      const named = Object.keys(SERVICE_ENTRIES).join('|');
      assert.ok(refused.stderr.includes(`${named} `), `the usage names every service: ${refused.stderr}`);
      assert.match(refused.stderr, /got 'gatewya'/);
      const unset = await run(join(layout, 'entrypoint.sh'), [], {
        env: { ...process.env, BLOCKCAST_SERVICE: 'bogus' },
      }).then(
        () => assert.fail('the entrypoint accepted BLOCKCAST_SERVICE=bogus'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(unset.code, 64);
      assert.match(unset.stderr, /got 'bogus'/, 'without an argument it reads BLOCKCAST_SERVICE');
    });

    test('the Dockerfile builds this layout with the same script and runs it as a non-root user', () => {
      const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
      const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
      assert.match(dockerfile, /^FROM \$\{BASE_IMAGE\} AS build$/m);
      assert.match(dockerfile, /^ARG BASE_IMAGE=node:24\.\d+\.\d+-trixie-slim$/m);
      assert.match(dockerfile, /npm run build && npx tsx scripts\/assemble-runtime\.ts \/runtime/);
      assert.match(
        finalStage,
        /^COPY --from=build \/runtime \.\/$/m,
        'the final stage holds the layout alone',
      );
      assert.match(finalStage, /^USER 1000:1000$/m, 'the final stage drops root');
      assert.match(finalStage, /^ENTRYPOINT \["\/app\/entrypoint\.sh"\]$/m);
      assert.doesNotMatch(finalStage, /tsx/, 'the final stage never runs tsx');
    });
  },
);
