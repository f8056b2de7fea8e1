/**
 * The Helm chart as real `helm template` renders it, for the defaults and every ci/*.yaml value
 * set: what docs/operations.md promises operators (probes, resources, non-root, drain time, HPA,
 * routing, Redis and credential wiring, alerts) holds in every rendered manifest.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { CHART_DIR, helmOrSkip, type Manifest } from '../support/helm.js';
import {
  COMPONENTS,
  componentObject,
  envEntry,
  OPS_PORTS,
  ofKind,
  onlyContainer,
  plainEnv,
  VALUE_SETS,
} from './chart-objects.js';

const available = helmOrSkip();
const SETS = ['defaults', ...VALUE_SETS];

/** A value set's own values (not merged with the defaults). */
// biome-ignore lint/suspicious/noExplicitAny: values are read field by field
const valuesOf = (set: string): any => parse(readFileSync(`${CHART_DIR}${set}`, 'utf8')) ?? {};

describe('Helm chart rendering', { ...('skip' in available ? { skip: available.skip } : {}) }, () => {
  const rendered = new Map<string, Manifest[]>();

  before(async () => {
    if (!('helm' in available)) return;
    for (const set of SETS) {
      rendered.set(set, await available.helm.render(set === 'defaults' ? {} : { files: [set] }));
    }
  });

  const each = (check: (manifests: Manifest[], set: string) => void) => {
    for (const set of SETS) check(rendered.get(set) as Manifest[], set);
  };

  test('every container has startup, readiness and liveness probes, resources and a non-root securityContext', () => {
    each((manifests, set) => {
      const deployments = ofKind(manifests, 'Deployment');
      assert.ok(deployments.length >= 3, `${set}: the three components render`);
      for (const deployment of deployments) {
        const where = `${set} ${deployment.metadata.name}`;
        const pod = deployment.spec.template.spec;
        for (const container of pod.containers) {
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
            assert.ok(container[probe], `${where}: ${probe}`);
          }
          assert.ok(
            Object.keys(container.resources?.requests ?? {}).length > 0,
            `${where}: resource requests`,
          );
          assert.ok(Object.keys(container.resources?.limits ?? {}).length > 0, `${where}: resource limits`);
          const security = container.securityContext;
          assert.equal(security.runAsNonRoot, true, `${where}: runAsNonRoot`);
          assert.ok(security.runAsUser > 0, `${where}: a non-root uid`);
          assert.equal(security.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
          assert.equal(security.readOnlyRootFilesystem, true, `${where}: read-only root filesystem`);
          assert.deepEqual(security.capabilities.drop, ['ALL'], `${where}: every capability dropped`);
          assert.equal(
            (security.seccompProfile ?? pod.securityContext.seccompProfile).type,
            'RuntimeDefault',
            `${where}: seccomp`,
          );
        }
        assert.equal(pod.securityContext.runAsNonRoot, true, `${where}: pod runAsNonRoot`);
      }
    });
  });

  test('each service is probed on its ops port: /healthz for start and liveness, /readyz for readiness', () => {
    each((manifests, set) => {
      for (const component of COMPONENTS) {
        const container = onlyContainer(componentObject(manifests, 'Deployment', component));
        const ops = container.ports.find((port: { name: string }) => port.name === 'ops');
        assert.equal(ops?.containerPort, OPS_PORTS[component], `${set} ${component}: ops port`);
        const probed = (probe: string) => [container[probe].httpGet.path, container[probe].httpGet.port];
        assert.deepEqual(probed('startupProbe'), ['/healthz', 'ops'], `${set} ${component} startup`);
        assert.deepEqual(probed('readinessProbe'), ['/readyz', 'ops'], `${set} ${component} readiness`);
        assert.deepEqual(probed('livenessProbe'), ['/healthz', 'ops'], `${set} ${component} liveness`);
        const env = plainEnv(manifests, componentObject(manifests, 'Deployment', component));
        const opsVariable = `${component.toUpperCase()}_OPS_PORT`;
        assert.equal(env[opsVariable], String(OPS_PORTS[component]), `${set} ${component}: ${opsVariable}`);
      }
    });
  });

  test("the gateway's terminationGracePeriodSeconds exceeds preStop + drain delay + shutdown grace", () => {
    each((manifests, set) => {
      const gateway = componentObject(manifests, 'Deployment', 'gateway');
      const env = plainEnv(manifests, gateway);
      const command: string[] = onlyContainer(gateway).lifecycle.preStop.exec.command;
      assert.equal(command[0], 'sleep', `${set}: preStop sleeps`);
      const preStopMs = Number(command[1]) * 1000;
      const drainMs = Number(env.GATEWAY_DRAIN_DELAY_MS) + Number(env.GATEWAY_SHUTDOWN_GRACE_MS);
      assert.ok(preStopMs > 0 && drainMs > 0, `${set}: preStop and drain are set`);
      const graceMs = gateway.spec.template.spec.terminationGracePeriodSeconds * 1000;
      assert.ok(graceMs > preStopMs + drainMs, `${set}: grace ${graceMs} ms > ${preStopMs} + ${drainMs} ms`);
      for (const component of ['ingest', 'discovery'] as const) {
        const deployment = componentObject(manifests, 'Deployment', component);
        const shutdown = Number(
          plainEnv(manifests, deployment)[`${component.toUpperCase()}_SHUTDOWN_GRACE_MS`],
        );
        const grace = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
        assert.ok(grace > shutdown, `${set} ${component}: grace ${grace} ms > shutdown ${shutdown} ms`);
      }
    });
  });

  test('the HPA targets the gateway Deployment, which then leaves replicas to it, and scales down slowly', () => {
    const production = rendered.get('ci/production-values.yaml') as Manifest[];
    const [hpa, ...others] = ofKind(production, 'HorizontalPodAutoscaler');
    assert.ok(hpa !== undefined && others.length === 0, 'one HPA');
    const gateway = componentObject(production, 'Deployment', 'gateway');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: gateway.metadata.name,
    });
    assert.equal(gateway.spec.replicas, undefined, 'no replicas on an autoscaled Deployment');
    assert.ok(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds >= 300, 'scale-down waits minutes');
    assert.deepEqual(hpa.spec.behavior.scaleDown.policies, [{ type: 'Pods', value: 1, periodSeconds: 300 }]);
    assert.deepEqual(
      hpa.spec.metrics.map((metric: { type: string }) => metric.type),
      ['Resource', 'Pods'],
    );
    assert.equal(
      ofKind(rendered.get('defaults') as Manifest[], 'HorizontalPodAutoscaler').length,
      0,
      'off by default',
    );
  });

  test('a PodDisruptionBudget selects each component, unless the value set turns it off', () => {
    each((manifests, set) => {
      for (const component of COMPONENTS) {
        if (set !== 'defaults' && valuesOf(set)[component]?.pdb?.create === false) {
          assert.ok(
            ofKind(manifests, 'PodDisruptionBudget').every((pdb) => !pdb.metadata.name.endsWith(component)),
          );
          continue;
        }
        const pdb = componentObject(manifests, 'PodDisruptionBudget', component);
        const deployment = componentObject(manifests, 'Deployment', component);
        assert.deepEqual(
          pdb.spec.selector.matchLabels,
          deployment.spec.selector.matchLabels,
          `${set} ${component}`,
        );
      }
    });
  });

  test('every object carries the standard labels and pods restart when their config changes', async () => {
    each((manifests, set) => {
      for (const manifest of manifests) {
        const labels = manifest.metadata.labels ?? {};
        for (const label of [
          'app.kubernetes.io/name',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/managed-by',
        ]) {
          assert.ok(labels[label], `${set} ${manifest.kind}/${manifest.metadata.name}: ${label}`);
        }
        assert.match(
          labels['helm.sh/chart'] ?? '',
          /^blockcast-\d+\.\d+\.\d+/,
          `${set} ${manifest.metadata.name}`,
        );
      }
    });
    if (!('helm' in available)) return;
    const checksum = (manifests: Manifest[]) =>
      componentObject(manifests, 'Deployment', 'gateway').spec.template.metadata.annotations[
        'checksum/config'
      ];
    const changed = await available.helm.render({ set: ['config.logLevel=debug'] });
    assert.match(checksum(changed), /^[0-9a-f]{64}$/);
    assert.notEqual(checksum(changed), checksum(rendered.get('defaults') as Manifest[]));
  });

  test('the Ingress sends /api/v1/streams/ to gateways and the catalog, /api/v1/ and / to discovery, with long timeouts', () => {
    const manifests = rendered.get('ci/ingress-values.yaml') as Manifest[];
    const [ingress] = ofKind(manifests, 'Ingress');
    assert.ok(ingress);
    const routes = ingress.spec.rules[0].http.paths.map(
      (path: { path: string; backend: { service: { name: string } } }) => [
        path.path,
        path.backend.service.name,
      ],
    );
    const gateway = componentObject(manifests, 'Service', 'gateway').metadata.name;
    const discovery = componentObject(manifests, 'Service', 'discovery').metadata.name;
    assert.deepEqual(routes, [
      ['/api/v1/streams', discovery],
      ['/api/v1/streams/', gateway],
      ['/api/v1/', discovery],
      ['/', discovery],
    ]);
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
      assert.ok(
        Number(ingress.metadata.annotations?.[`nginx.ingress.kubernetes.io/${timeout}`]) >= 3600,
        timeout,
      );
    }
    const env = plainEnv(manifests, componentObject(manifests, 'Deployment', 'discovery'));
    assert.deepEqual(
      [env.ADVERTISED_STREAMS_SCHEME, env.ADVERTISED_STREAMS_HOST, env.ADVERTISED_STREAMS_PORT],
      ['wss', 'streams.example.org', '443'],
      'discovery advertises the Ingress',
    );
  });

  test('Redis is wired by URL, Sentinel, an existing Secret or the evaluation Redis', () => {
    const gatewayOf = (set: string) =>
      componentObject(rendered.get(set) as Manifest[], 'Deployment', 'gateway');
    const defaults = rendered.get('defaults') as Manifest[];
    assert.equal(envEntry(gatewayOf('defaults'), 'REDIS_URL').value, 'redis://blockcast-redis:6379');
    assert.ok(componentObject(defaults, 'Deployment', 'redis'), 'the evaluation Redis is rendered');
    assert.deepEqual(envEntry(gatewayOf('ci/external-url-values.yaml'), 'REDIS_URL').valueFrom.secretKeyRef, {
      name: 'blockcast-redis',
      key: 'redis-url',
    });
    const sentinel = gatewayOf('ci/sentinel-values.yaml');
    assert.match(envEntry(sentinel, 'REDIS_SENTINELS').value, /^[^,]+:26379,[^,]+:26379,[^,]+:26379$/);
    assert.equal(envEntry(sentinel, 'REDIS_SENTINEL_MASTER').value, 'mymaster');
    assert.equal(envEntry(sentinel, 'REDIS_PASSWORD').valueFrom.secretKeyRef.key, 'redis-password');
    assert.deepEqual(
      envEntry(gatewayOf('ci/sentinel-existing-secret-values.yaml'), 'REDIS_PASSWORD').valueFrom.secretKeyRef,
      { name: 'redis-auth', key: 'password' },
    );
    const existing = rendered.get('ci/existing-secret-values.yaml') as Manifest[];
    assert.deepEqual(
      envEntry(gatewayOf('ci/existing-secret-values.yaml'), 'REDIS_URL').valueFrom.secretKeyRef,
      {
        name: 'blockcast-redis',
        key: 'url',
      },
    );
    assert.equal(
      ofKind(existing, 'Secret').length,
      0,
      'no Secret rendered when all are managed outside the chart',
    );
    each((manifests, set) => {
      const evaluation = ofKind(manifests, 'Deployment').some((d) => d.metadata.name === 'blockcast-redis');
      const url = envEntry(componentObject(manifests, 'Deployment', 'gateway'), 'REDIS_URL')?.value;
      assert.equal(
        evaluation,
        url === 'redis://blockcast-redis:6379',
        `${set}: the evaluation Redis only when used`,
      );
    });
  });

  test('ingest reads its tokens from a Secret: generated, given, or existing', () => {
    const tokensOf = (set: string) =>
      envEntry(componentObject(rendered.get(set) as Manifest[], 'Deployment', 'ingest'), 'INGEST_TOKENS')
        .valueFrom.secretKeyRef;
    const generated = ofKind(rendered.get('defaults') as Manifest[], 'Secret').find(
      (secret) => secret.metadata.name === tokensOf('defaults').name,
    );
    const token = Buffer.from(generated?.data?.['ingest-tokens'] ?? '', 'base64').toString();
    assert.match(token, /^[A-Za-z0-9]{48}$/, 'a generated token of 48 characters');
    const given = ofKind(rendered.get('ci/external-url-values.yaml') as Manifest[], 'Secret').find(
      (secret) => secret.metadata.name === tokensOf('ci/external-url-values.yaml').name,
    );
    assert.equal(
      Buffer.from(given?.data?.['ingest-tokens'] ?? '', 'base64')
        .toString()
        .split(',').length,
      2,
    );
    assert.deepEqual(tokensOf('ci/existing-secret-values.yaml'), { name: 'blockcast-ingest', key: 'tokens' });
    const hmac = envEntry(
      componentObject(rendered.get('ci/existing-secret-values.yaml') as Manifest[], 'Deployment', 'ingest'),
      'INGEST_HMAC_SECRETS',
    );
    assert.deepEqual(hmac.valueFrom.secretKeyRef, { name: 'blockcast-ingest', key: 'hmac-secrets' });
  });

  test('monitoring: the ServiceMonitor scrapes every ops port, alerts and dashboard use documented metrics', () => {
    const manifests = rendered.get('ci/monitoring-values.yaml') as Manifest[];
    const [monitor] = ofKind(manifests, 'ServiceMonitor');
    assert.ok(monitor);
    assert.deepEqual(
      monitor.spec.endpoints.map((endpoint: { port: string }) => endpoint.port),
      ['ops'],
    );
    const scraped = ofKind(manifests, 'Service').filter((service) =>
      Object.entries(monitor.spec.selector.matchLabels).every(
        ([key, value]) => service.metadata.labels?.[key] === value,
      ),
    );
    assert.deepEqual(
      scraped.flatMap((service) => service.spec.ports.map((port: { port: number }) => port.port)).sort(),
      Object.values(OPS_PORTS).sort(),
      'exactly the three ops ports are scraped',
    );

    const documented = new Set(
      readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8').match(/blockcast_[a-z_]+/g),
    );
    const [rule] = ofKind(manifests, 'PrometheusRule');
    assert.ok(rule);
    const alerts = rule.spec.groups.flatMap(
      (group: { rules: { alert: string; expr: string }[] }) => group.rules,
    );
    assert.deepEqual(alerts.map((alert: { alert: string }) => alert.alert).sort(), [
      'BlockcastGatewayGaps',
      'BlockcastGatewayLogLagBlocks',
      'BlockcastGatewayLogLagSeconds',
      'BlockcastGatewayResets',
      'BlockcastGatewaySlowClientCloses',
      'BlockcastIngestConflicts',
      'BlockcastIngestErrors',
      'BlockcastNoBlocksAppended',
      'BlockcastPluginDeadLetters',
      'BlockcastPluginHistoryGaps',
      'BlockcastPluginNotRunning',
      'BlockcastPluginResets',
      'BlockcastTargetDown',
    ]);
    const dashboard = ofKind(manifests, 'ConfigMap').find(
      (map) => map.metadata.labels?.grafana_dashboard === '1',
    );
    assert.ok(dashboard, 'the dashboard ConfigMap carries the Grafana sidecar label');
    const panels = JSON.parse(dashboard.data?.['blockcast.json'] ?? '{}').panels as {
      targets?: { expr: string }[];
    }[];
    const expressions = [
      ...alerts.map((alert: { expr: string }) => alert.expr),
      ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ];
    for (const expression of expressions) {
      for (const metric of expression.match(/blockcast_[a-z_]+/g) ?? []) {
        const base = metric.replace(/_(bucket|count|sum)$/, '');
        assert.ok(documented.has(base), `${metric} (in ${expression}) is documented in docs/operations.md`);
      }
    }
  });
});
