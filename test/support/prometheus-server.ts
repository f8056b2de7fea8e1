/**
 * A real Prometheus server and promtool (built from the Go module proxy by
 * scripts/prometheus-binaries.sh, found on PATH) for the monitoring tests: started on a free
 * loopback port with a data dir of its own, queried through its HTTP API, stopped by PID.
 * Without the binaries the tests skip on a developer machine and fail in CI (CI=true).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitUntil } from '@blockcast/devkit';
import { missing } from './test-dependencies.js';

const run = promisify(execFile);
const HOW = 'export PATH="$(bash scripts/prometheus-binaries.sh | tail -n 1):$PATH"';

/** `{}` when prometheus and promtool are on PATH, else `{ skip }` (CI=true: throws instead). */
export function prometheusOrSkip(): { skip?: string } {
  const found = ['prometheus', 'promtool'].every((binary) => spawnSync(binary, ['--version']).status === 0);
  if (found) return {};
  return missing('prometheus or promtool on PATH', HOW);
}

/** `promtool <args>`; resolves with its output whatever the exit code. */
export async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** One series of an instant query's answer. */
export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

export interface ActiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

export class PrometheusServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #output = '';

  private constructor(url: string, child: ChildProcess, dir: string) {
    this.url = url;
    this.#child = child;
    this.#dir = dir;
    const keep = (chunk: Buffer) => {
      this.#output += chunk.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts Prometheus with `config` (YAML text) and the rule files given by name and content. */
  static async start(config: string, ruleFiles: Record<string, string> = {}): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'blockcast-prometheus-'));
    for (const [name, content] of Object.entries(ruleFiles)) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    try {
      await waitUntil(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`prometheus exited ${child.exitCode}:\n${server.#output}`);
          return (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.status === 200;
        },
        30_000,
        'prometheus ready',
        100,
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Everything Prometheus logged (warnings and errors). */
  output(): string {
    return this.#output;
  }

  /** An instant query now; throws with Prometheus's error if the expression fails. */
  async query(expr: string): Promise<Series[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      warnings?: string[];
      data?: { resultType: string; result: Series[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    if (body.warnings?.length) throw new Error(`${expr}: warnings ${body.warnings.join('; ')}`);
    if (body.data?.resultType !== 'vector')
      throw new Error(`${expr}: a ${body.data?.resultType}, not a vector`);
    return body.data.result;
  }

  /** The values of a label over the series matching `match`, as Grafana's label_values() asks. */
  async labelValues(label: string, match: string): Promise<string[]> {
    const response = await fetch(
      `${this.url}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': match })}`,
    );
    const body = (await response.json()) as { status: string; error?: string; data?: string[] };
    if (body.status !== 'success') throw new Error(`label_values(${match}, ${label}): ${body.error}`);
    return body.data ?? [];
  }

  async alerts(): Promise<ActiveAlert[]> {
    const body = (await (await fetch(`${this.url}/api/v1/alerts`)).json()) as {
      data: { alerts: ActiveAlert[] };
    };
    return body.data.alerts;
  }

  /** The rule groups as loaded, with each rule's health and last evaluation error. */
  async rules(): Promise<{ name: string; health: string; lastError?: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    return body.data.groups.flatMap((group) => group.rules);
  }

  /** Each scrape target's job, pod label and health. */
  async targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
    };
    return body.data.activeTargets;
  }

  /** SIGTERM by PID (SIGKILL after 10 s), then its data dir removed. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
