/**
 * The production layout the container image runs: every workspace's manifest and compiled `dist`,
 * the root manifest and lock, the entrypoint, and the production dependencies installed from that
 * lock by `npm ci --omit=dev` — no sources, tests or tooling. The Dockerfile's build stage and the
 * production-build test both build it here, so the test runs what the image ships.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Relative to the repository root; in the layout it lands at the root. */
export const RUNTIME_ENTRYPOINT = 'deploy/docker/entrypoint.sh';

/** uWebSockets.js ships its native binary for every platform and Node ABI (~90 MB); one is loaded. */
const UWS_BINARIES = 'node_modules/uWebSockets.js/binaries';

/** Workspace folders named by the root manifest's `workspaces` globs (`dir/*` only). */
export function workspaceFolders(repo = REPO_ROOT): string[] {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { workspaces: string[] };
  return manifest.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) throw new Error(`workspace pattern ${pattern} is not of the form dir/*`);
    const parent = pattern.slice(0, -2);
    return readdirSync(join(repo, parent))
      .filter((name) => existsSync(join(repo, parent, name, 'package.json')))
      .sort()
      .map((name) => `${parent}/${name}`);
  });
}

export interface RuntimeLayoutOptions {
  /** Repository to take it from (default: this one). */
  repo?: string;
  /** `npm ci --prefer-offline`: take packages from the npm cache when it has them (tests). */
  preferOffline?: boolean;
}

/**
 * Builds the layout into `into` (created): throws naming a workspace that was not compiled
 * (`npm run build` first) and with npm's output when the install fails.
 */
export async function buildRuntimeLayout(into: string, options: RuntimeLayoutOptions = {}): Promise<void> {
  const repo = options.repo ?? REPO_ROOT;
  const folders = workspaceFolders(repo);
  const uncompiled = folders.filter((folder) => !existsSync(join(repo, folder, 'dist')));
  if (uncompiled.length > 0) {
    throw new Error(`not compiled (run npm run build first): ${uncompiled.join(', ')}`);
  }
  mkdirSync(into, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(repo, file), join(into, file));
  for (const folder of folders) {
    cpSync(join(repo, folder, 'package.json'), join(into, folder, 'package.json'));
    cpSync(join(repo, folder, 'dist'), join(into, folder, 'dist'), { recursive: true });
  }
  const entrypoint = join(into, 'entrypoint.sh');
  cpSync(join(repo, RUNTIME_ENTRYPOINT), entrypoint);
  chmodSync(entrypoint, 0o755);

  const install = [
    'ci',
    '--omit=dev',
    '--no-audit',
    '--no-fund',
    ...(options.preferOffline ? ['--prefer-offline'] : []),
  ];
  await run('npm', install, { cwd: into, maxBuffer: 16 * 1024 * 1024 });
  removeForeignUwsBinaries(into);
}

/** Keeps only the uWS binary this platform's Node loads (`uws_<platform>_<arch>_<abi>.node`). */
function removeForeignUwsBinaries(into: string): void {
  const binaries = join(into, UWS_BINARIES);
  const own = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  if (!existsSync(join(binaries, own))) throw new Error(`uWebSockets.js has no ${own} for this platform`);
  for (const name of readdirSync(binaries)) if (name !== own) rmSync(join(binaries, name));
}
