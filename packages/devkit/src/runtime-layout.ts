/**
 * The production layout the container image runs: the services' and their packages' manifests and compiled `dist`,
 * the root manifest and lock, the entrypoint, and the production dependencies installed from that
 * lock by `npm ci --omit=dev` — no sources, tests or tooling. The Dockerfile's build stage and the
 * production-build test both build it here, so the test runs what the image ships.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Relative to the repository root; in the layout it lands at the root. */
export const RUNTIME_ENTRYPOINT = 'deploy/docker/entrypoint.sh';

/**
 * The gateway's uWebSockets.js builds (`uWebSockets.js`, `uWebSockets.js-v20.57`) each ship a
 * native binary for every platform and Node ABI (~110 MB); only this Node's can load.
 */
const UWS_PACKAGE_PREFIX = 'uWebSockets.js';

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

/**
 * The workspaces the image runs: every service, and the workspace packages they depend on
 * (`dependencies`, transitively). Tooling such as this dev kit is left out.
 */
export function productionWorkspaces(repo = REPO_ROOT): string[] {
  const folders = workspaceFolders(repo);
  const manifests = new Map(
    folders.map((folder) => {
      const manifest = JSON.parse(readFileSync(join(repo, folder, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      return [manifest.name, { folder, dependencies: Object.keys(manifest.dependencies ?? {}) }];
    }),
  );
  const needed = new Set<string>();
  const visit = (name: string) => {
    const workspace = manifests.get(name);
    if (workspace === undefined || needed.has(workspace.folder)) return;
    needed.add(workspace.folder);
    for (const dependency of workspace.dependencies) visit(dependency);
  };
  for (const [name, { folder }] of manifests) if (folder.startsWith('services/')) visit(name);
  return folders.filter((folder) => needed.has(folder));
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
  const folders = productionWorkspaces(repo);
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

/** The `.node` files of the uWS packages installed in `root` (relative paths under node_modules). */
export function uwsBinaries(root: string): string[] {
  const modules = join(root, 'node_modules');
  return readdirSync(modules)
    .filter((name) => name.startsWith(UWS_PACKAGE_PREFIX))
    .flatMap((name) =>
      (readdirSync(join(modules, name), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.node'))
        .map((file) => join(name, file)),
    )
    .sort();
}

/** Keeps only the uWS binaries this platform's Node loads (`uws_<platform>_<arch>_<abi>.node`). */
function removeForeignUwsBinaries(into: string): void {
  const own = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const binaries = uwsBinaries(into);
  if (!binaries.some((file) => basename(file) === own)) {
    throw new Error(`no uWebSockets.js package has ${own} for this platform`);
  }
  for (const file of binaries) if (basename(file) !== own) rmSync(join(into, 'node_modules', file));
}
