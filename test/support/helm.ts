/**
 * The real `helm` binary for the chart tests: on PATH, else where `go install` puts it. Without it
 * the chart tests skip on a developer machine but fail in CI (test-dependencies.ts: .ci/run
 * installs helm before the tests).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { missing } from './test-dependencies.js';

const run = promisify(execFile);

export const CHART_DIR = fileURLToPath(new URL('../../deploy/k8s/blockcast/', import.meta.url));
/** Rendered for one fixed Kubernetes version, whatever helm's default (a plain `go install` has v1.20.0). */
const KUBE_VERSION = '1.30.0';

/** A rendered Kubernetes object, as far as the tests read it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field in the tests
  spec?: any;
  data?: Record<string, string>;
}

export type Rendered = { ok: true; manifests: Manifest[] } | { ok: false; error: string };

export class Helm {
  readonly #binary: string;

  constructor(binary: string) {
    this.#binary = binary;
  }

  /** `helm template` of the chart with value files (paths relative to the chart) and `--set`s. */
  async template(options: { files?: string[]; set?: string[] } = {}): Promise<Rendered> {
    const args = [
      'template',
      'blockcast',
      CHART_DIR,
      '--namespace',
      'blockcast',
      '--kube-version',
      KUBE_VERSION,
    ];
    for (const file of options.files ?? []) args.push('-f', join(CHART_DIR, file));
    for (const assignment of options.set ?? []) args.push('--set', assignment);
    try {
      const { stdout } = await run(this.#binary, args, { maxBuffer: 16 * 1024 * 1024 });
      const manifests = parseAllDocuments(stdout)
        .map((document) => document.toJS() as Manifest | null)
        .filter((manifest): manifest is Manifest => manifest !== null);
      return { ok: true, manifests };
    } catch (error) {
      return { ok: false, error: String((error as { stderr?: string }).stderr ?? error) };
    }
  }

  /** Like template, but a refusal fails the test with helm's message. */
  async render(options: { files?: string[]; set?: string[] } = {}): Promise<Manifest[]> {
    const rendered = await this.template(options);
    if (!rendered.ok) throw new Error(`helm template ${JSON.stringify(options)} failed:\n${rendered.error}`);
    return rendered.manifests;
  }
}

/** `{ helm }`, or `{ skip }` for `describe()` options when helm is missing (and not required). */
export function helmOrSkip(): { helm: Helm } | { skip: string } {
  const binary = findHelm();
  if (binary !== undefined) return { helm: new Helm(binary) };
  return missing('helm', 'bash scripts/install-helm.sh');
}

function findHelm(): string | undefined {
  if (spawnSync('helm', ['version', '--short']).status === 0) return 'helm';
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  const installed = gopath.status === 0 ? join(gopath.stdout.trim(), 'bin', 'helm') : undefined;
  return installed !== undefined && existsSync(installed) ? installed : undefined;
}
