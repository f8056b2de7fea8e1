/**
 * The chart's alerts and Grafana dashboard against a real Prometheus (3.x, built from the Go
 * module proxy by scripts/prometheus-binaries.sh). The PrometheusRule and the dashboard are
 * rendered by helm from ci/monitoring-values.yaml; promtool checks the rules. Then ingest, two
 * gateways, discovery and a plugin host run as processes on a real Redis, and Prometheus scrapes
 * them every second with the target labels the Prometheus Operator gives a ServiceMonitor's
 * targets (job and service = the chart's metrics Service, namespace, pod, container, endpoint),
 * while blocks, clients, refusals, closes and discovery requests flow for a minute. Every alert
 * expression and every dashboard query must evaluate without error and return series; nothing
 * fires on the healthy stack; stopping a gateway fires BlockcastTargetDown for that pod only
 * (its `for:` shortened to 5 s in the test's copy of the rules: the only change made to them).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBlock, waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { stringify } from 'yaml';
import { BlockFeed } from '../support/block-feed.js';
import { helmOrSkip, type Manifest } from '../support/helm.js';
import { PrometheusServer, prometheusOrSkip, promtool } from '../support/prometheus-server.js';
import { redisOrSkip } from '../support/redis.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

/** The namespace helm renders into (test/support/helm.ts): the rules and dashboard select it. */
const NAMESPACE = 'blockcast';
const TRAFFIC_SECONDS = 60;
/** What Grafana's $__rate_interval is at a 1 s scrape interval and a minute of data. */
const RATE_INTERVAL = '1m';
const STOPPED_GATEWAY = 1;

const redis = await redisOrSkip();
const prometheus = prometheusOrSkip();
const chart = helmOrSkip();
const skip = 'skip' in redis ? redis.skip : (prometheus.skip ?? ('skip' in chart ? chart.skip : undefined));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}
interface DashboardPanel {
  title: string;
  targets?: { expr: string }[];
}

/** The quantity an alert compares with its threshold: `A > 5` → `A`. */
function measured(expr: string): string {
  const match = /^([\s\S]*?)\s*(?:>|<|==|!=|>=|<=)\s*-?[\d.]+$/.exec(expr.trim());
  assert.ok(match, `alert expression not of the form <quantity> <comparison> <number>: ${expr}`);
  return match[1]!;
}

describe('alerts and dashboard on a real Prometheus', { skip: skip ?? false }, () => {
  let groups: RuleGroup[] = [];
  let dashboardQueries: { panel: string; expr: string }[] = [];
  let namespaceVariable = '';
  let services: Record<'gateway' | 'ingest' | 'discovery', string>;
  let scrapePath = '';
  let dir = '';
  let stack: ServiceStack | undefined;
  let server: PrometheusServer | undefined;
  let feed: BlockFeed | undefined;
  const clients: RecordingClient[] = [];
  let discoveryPoller: NodeJS.Timeout | undefined;

  before(
    async () => {
      if (!('helm' in chart) || !('redis' in redis)) return;
      const manifests = await chart.helm.render({ files: ['ci/monitoring-values.yaml'] });
      const one = (kind: string) => {
        const found = manifests.filter((manifest) => manifest.kind === kind);
        assert.equal(found.length, 1, `one ${kind} rendered`);
        return found[0]!;
      };
      groups = one('PrometheusRule').spec.groups as RuleGroup[];
      const monitor = one('ServiceMonitor');
      scrapePath = monitor.spec.endpoints[0].path;
      const metricsService = (component: string) =>
        manifests.find(
          (m: Manifest) =>
            m.kind === 'Service' &&
            m.metadata.labels?.['blockcast.io/metrics'] === 'true' &&
            m.metadata.labels['app.kubernetes.io/component'] === component,
        )!.metadata.name;
      services = {
        gateway: metricsService('gateway'),
        ingest: metricsService('ingest'),
        discovery: metricsService('discovery'),
      };
      const dashboardJson = manifests.find((m) => m.kind === 'ConfigMap' && m.data?.['blockcast.json'])
        ?.data?.['blockcast.json'];
      assert.ok(dashboardJson, 'the dashboard ConfigMap rendered');
      const dashboard = JSON.parse(dashboardJson) as {
        panels: DashboardPanel[];
        templating: { list: { name: string; query: unknown }[] };
      };
      dashboardQueries = dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
      );
      const variable = dashboard.templating.list.find((entry) => entry.name === 'namespace')!;
      namespaceVariable = (variable.query as { query: string }).query;
      dir = mkdtempSync(join(tmpdir(), 'blockcast-prometheus-live-'));

      stack = await startServiceStack({
        redisUrl: redis.redis.url,
        label: 'prometheus-live',
        gateways: 2,
        plugins: 'console',
      });
      // Pod names as Kubernetes would show them; the plugin host has no Service in the chart.
      const pods = [
        ...stack.gateways.map((gateway, i) => ({
          pod: `blockcast-gateway-${i + 1}`,
          component: 'gateway',
          service: services.gateway,
          ops: gateway.opsPort,
        })),
        {
          pod: 'blockcast-ingest-1',
          component: 'ingest',
          service: services.ingest,
          ops: port(stack.ingest.opsUrl),
        },
        {
          pod: 'blockcast-discovery-1',
          component: 'discovery',
          service: services.discovery,
          ops: port(stack.discovery.opsUrl),
        },
        {
          pod: 'blockcast-plugins-1',
          component: 'plugins',
          service: 'blockcast-plugins-metrics',
          ops: port(stack.plugins!.opsUrl),
        },
      ];
      const jobs = [...new Set(pods.map((p) => p.service))];
      const config = {
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: ['rules.yaml'],
        scrape_configs: jobs.map((service) => ({
          job_name: service,
          metrics_path: scrapePath,
          static_configs: pods
            .filter((p) => p.service === service)
            .map((p) => ({
              targets: [`127.0.0.1:${p.ops}`],
              labels: { namespace: NAMESPACE, service, pod: p.pod, container: p.component, endpoint: 'ops' },
            })),
        })),
      };
      const testRules = groups.map((group) => ({
        ...group,
        rules: group.rules.map((rule) =>
          rule.alert === 'BlockcastTargetDown' ? { ...rule, for: '5s' } : rule,
        ),
      }));
      server = await PrometheusServer.start(stringify(config), {
        'rules.yaml': stringify({ groups: testRules }),
      });

      // Traffic: clients on three streams of each gateway, refused upgrades, closes, refused
      // posts (no conflict: that one must alert), discovery reads, and a block every 200 ms.
      for (const gateway of stack.gateways) {
        for (const stream of ['valid_transactions', 'valid_blocks', 'events'])
          clients.push(
            await RecordingClient.connect(`ws://127.0.0.1:${gateway.port}/api/v1/streams/${stream}`),
          );
        for (const path of ['nope', 'events?types=1024'])
          await refusedUpgrade(`ws://127.0.0.1:${gateway.port}/api/v1/streams/${path}`);
        const leaving = await RecordingClient.connect(
          `ws://127.0.0.1:${gateway.port}/api/v1/streams/valid_blocks`,
        );
        await leaving.close();
      }
      feed = new BlockFeed({ post: stack.post, firstHeight: 1, intervalMs: 200 });
      await feed.postNext();
      feed.start();
      const running = stack;
      assert.equal((await running.post(makeBlock(1000, 1), 'not-the-token')).status, 401);
      assert.equal((await running.post({ height: 'x' } as unknown as CommittedBlock)).status, 400);
      discoveryPoller = setInterval(() => {
        for (const path of ['/api/v1/', '/', '/api/v1/streams'])
          void fetch(`${running.discovery.url}${path}`)
            .then((response) => response.arrayBuffer())
            .catch(() => {});
      }, 1000);

      // A minute of traffic, as Prometheus saw it: every target scraped up that many times.
      const live = server;
      await waitUntil(
        async () => {
          const counts = await live.query('count_over_time(up[5m]) and up == 1');
          return counts.length === pods.length && counts.every((s) => Number(s.value[1]) >= TRAFFIC_SECONDS);
        },
        (TRAFFIC_SECONDS + 60) * 1000,
        `${pods.length} targets up for ${TRAFFIC_SECONDS} scrapes`,
        1000,
      );
    },
    { timeout: (TRAFFIC_SECONDS + 120) * 1000 },
  );

  after(async () => {
    if (discoveryPoller) clearInterval(discoveryPoller);
    const posted = await feed?.stop().catch((error: unknown) => error);
    await Promise.all(clients.map((client) => client.close()));
    await stack?.stop();
    await server?.stop();
    if ('redis' in redis) await redis.redis.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (posted instanceof Error) throw posted;
  });

  test('promtool check rules accepts the rendered PrometheusRule', async () => {
    const file = join(dir, 'rendered-rules.yaml');
    writeFileSync(file, stringify({ groups }));
    const checked = await promtool(['check', 'rules', file]);
    const alerts = groups.reduce((n, group) => n + group.rules.length, 0);
    assert.equal(checked.code, 0, checked.output);
    assert.match(checked.output, new RegExp(`SUCCESS: ${alerts} rules found`));
  });

  test('Prometheus loaded every rule and evaluates each without error', async () => {
    const loaded = await server!.rules();
    assert.deepEqual(
      loaded.map((rule) => rule.name).sort(),
      groups.flatMap((group) => group.rules.map((rule) => rule.alert)).sort(),
    );
    for (const rule of loaded) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
  });

  test('every alert expression evaluates, and what it compares returns series', async () => {
    for (const rule of groups.flatMap((group) => group.rules)) {
      await server!.query(rule.expr);
      const series = await server!.query(measured(rule.expr));
      assert.ok(series.length > 0, `${rule.alert}: ${measured(rule.expr)} returned no series`);
      for (const s of series)
        assert.equal(s.metric.namespace, NAMESPACE, `${rule.alert} keeps the namespace label`);
    }
  });

  test("every dashboard query returns series, and the namespace variable offers the stack's namespace", async () => {
    assert.ok(dashboardQueries.length > 0);
    const match = /^label_values\((\w+), (\w+)\)$/.exec(namespaceVariable);
    assert.ok(match, `namespace variable: ${namespaceVariable}`);
    assert.deepEqual(await server!.labelValues(match[2]!, match[1]!), [NAMESPACE]);
    for (const { panel, expr } of dashboardQueries) {
      const query = expr.replaceAll('$namespace', NAMESPACE).replaceAll('$__rate_interval', RATE_INTERVAL);
      const series = await server!.query(query);
      assert.ok(series.length > 0, `${panel}: ${query} returned no series`);
    }
  });

  test('no alert fires on the healthy stack', async () => {
    const firing = (await server!.alerts()).filter((alert) => alert.state === 'firing');
    assert.deepEqual(firing, []);
  });

  test(
    'a stopped gateway fires BlockcastTargetDown for its pod, and nothing else fires',
    { timeout: 90_000 },
    async () => {
      const pod = `blockcast-gateway-${STOPPED_GATEWAY + 1}`;
      await stack!.stopGateway(STOPPED_GATEWAY);
      const firingNow = async () => (await server!.alerts()).filter((alert) => alert.state === 'firing');
      await waitUntil(
        async () => (await firingNow()).some((alert) => alert.labels.alertname === 'BlockcastTargetDown'),
        60_000,
        'BlockcastTargetDown firing',
        500,
      );
      const firing = await firingNow();
      assert.deepEqual(
        firing.map((alert) => [
          alert.labels.alertname,
          alert.labels.pod,
          alert.labels.service,
          alert.labels.severity,
        ]),
        [['BlockcastTargetDown', pod, services.gateway, 'warning']],
      );
    },
  );
});

function port(url: string): number {
  return Number(new URL(url).port);
}
