/**
 * The built container image, run with podman as Kubernetes runs it (uid 1000, read-only root
 * filesystem): every service starts from it, the gateway on the native uWS binary, a block posted
 * through ingest reaches a client of the gateway container, and SIGTERM drains the gateway within
 * its grace. Needs BLOCKCAST_IMAGE=<reference> (scripts/build-image.sh prints it); skipped without.
 * Containers share the host's network on 127.0.0.1, each on its own free port.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ServiceKind, type ServiceProcess, startService } from '@blockcast/devkit';
import { CloseCode } from '@blockcast/protocol';
import {
  assertFirstBlockDelivered,
  freeStackPorts,
  type StackPorts,
  stackEnv,
} from '../support/deployed-stack.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';
import { RecordingClient } from '../support/ws-client.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = process.env.BLOCKCAST_IMAGE;
// Podman settings for machines without CAP_SYS_RESOURCE and with hybrid cgroups (runc, no ulimits).
const PODMAN_ENV = { CONTAINERS_CONF: `${REPO_ROOT}deploy/image/containers.conf` };
const available =
  IMAGE === undefined ? { skip: 'BLOCKCAST_IMAGE not set (scripts/build-image.sh)' } : await redisOrSkip();
const GATEWAY_GRACE_MS = 10_000;

describe(
  'the container image',
  { ...('skip' in available ? { skip: available.skip } : {}), timeout: 240_000 },
  () => {
    const names: string[] = [];
    const services: ServiceProcess[] = [];
    /** `podman run` in the foreground: its SIGTERM is forwarded to the container's PID 1 (node). */
    const fromImage = (kind: ServiceKind, env: Record<string, string>) => {
      const name = `blockcast-${kind}-${randomBytes(4).toString('hex')}`;
      names.push(name);
      const service = startService(kind, {
        env: PODMAN_ENV,
        launch: {
          command: 'podman',
          args: [
            'run',
            '--rm',
            '--name',
            name,
            '--read-only',
            '--user',
            '1000:1000',
            '--network',
            'host',
            '--pull',
            'never',
            ...Object.entries({ ...env, LOG_LEVEL: 'info' }).flatMap(([key, value]) => [
              '-e',
              `${key}=${value}`,
            ]),
            IMAGE as string,
            kind,
          ],
          cwd: REPO_ROOT,
        },
      });
      services.push(service);
      return service;
    };
    const podman = (...args: string[]) => run('podman', args, { env: { ...process.env, ...PODMAN_ENV } });

    const token = randomBytes(24).toString('hex');
    const shared = {
      REDIS_URL: 'redis' in available ? available.redis.url : '',
      BLOCKCAST_STREAM_PREFIX: uniquePrefix('image'),
    };
    let ports: StackPorts & { pluginsOps: number };

    before(async () => {
      ports = { ...(await freeStackPorts()), pluginsOps: await freePort() };
    });

    after(async () => {
      await Promise.all(services.map((service) => service.stop(GATEWAY_GRACE_MS + 5_000)));
      // A container whose `podman run` was killed would outlive it.
      await podman('rm', '--force', '--ignore', ...names).catch(() => undefined);
    });

    test('the image runs Node.js 24 as uid 1000', async () => {
      const { stdout } = await podman(
        'run',
        '--rm',
        '--pull',
        'never',
        '--entrypoint',
        'node',
        IMAGE as string,
        '-p',
        'process.version + " " + process.getuid()',
      );
      assert.match(stdout.trim(), /^v24\.\d+\.\d+ 1000$/);
    });

    test('the image is labelled with the version and the commit it was built from', async () => {
      const { stdout } = await podman('image', 'inspect', '--format', '{{json .Labels}}', IMAGE as string);
      const labels = JSON.parse(stdout) as Record<string, string>;
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
      assert.equal(labels['org.opencontainers.image.version'], manifest.version);
      assert.match(labels['org.opencontainers.image.revision'] ?? '', new RegExp(`^${head}(-dirty)?$`));
    });

    test('every service starts from the image on a read-only root filesystem', async () => {
      const env = stackEnv(ports, token);
      const ingest = fromImage('ingest', { ...shared, ...env.ingest });
      const gateway = fromImage('gateway', {
        ...shared,
        ...env.gateway,
        GATEWAY_DRAIN_DELAY_MS: '500',
        GATEWAY_SHUTDOWN_GRACE_MS: String(GATEWAY_GRACE_MS),
      });
      const discovery = fromImage('discovery', { ...shared, ...env.discovery });
      const plugins = fromImage('plugins', {
        ...shared,
        PLUGINS: 'console',
        PLUGINS_HOST: '127.0.0.1',
        PLUGINS_OPS_PORT: String(ports.pluginsOps),
      });
      await Promise.all([
        ingest.waitUntilReady(`http://127.0.0.1:${ports.ingestOps}/readyz`, 90_000),
        gateway.waitUntilReady(`http://127.0.0.1:${ports.gatewayOps}/readyz`, 90_000),
        discovery.waitUntilReady(`http://127.0.0.1:${ports.discoveryOps}/readyz`, 90_000),
        plugins.waitUntilReady(`http://127.0.0.1:${ports.pluginsOps}/readyz`, 90_000),
      ]);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.gatewayOps}/metrics`)).text();
      const transport = metrics
        .split('\n')
        .find((line) => line.startsWith('blockcast_gateway_transport_info{'));
      assert.match(transport ?? 'none', /kind="native".* 1$/, 'the native uWS binary loaded');
      const { stdout } = await podman(
        'inspect',
        '--format',
        '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}',
        names[1] as string,
      );
      assert.equal(stdout.trim(), '1000:1000 true');
    });

    test('a block posted through ingest reaches a client of the gateway container', async () => {
      await assertFirstBlockDelivered(
        {
          discovery: `http://127.0.0.1:${ports.discovery}`,
          ingest: `http://127.0.0.1:${ports.ingest}`,
          token,
        },
        30_000,
      );
    });

    test('SIGTERM drains the gateway container within its grace: its client gets 1001, the container exits 0', async () => {
      const gateway = services[1] as ServiceProcess;
      const client = await RecordingClient.connect(
        `ws://127.0.0.1:${ports.gateway}/api/v1/streams/valid_blocks`,
      );
      const started = Date.now();
      gateway.child.kill('SIGTERM');
      const closed = await client.closed;
      assert.equal(closed.code, CloseCode.DRAINING, 'the client is told the server is going away');
      assert.equal(await gateway.exited, 0, 'the gateway exits cleanly');
      assert.ok(Date.now() - started < GATEWAY_GRACE_MS, `drained within ${GATEWAY_GRACE_MS} ms`);
    });
  },
);
