/**
 * The production layout the container image runs: every workspace's manifest and compiled `dist`,
 * the root manifest and lock (so `npm ci --omit=dev` installs exactly the locked runtime
 * dependencies) and the entrypoint — no sources, tests or tooling. The Dockerfile and the
 * production-build test both assemble it here, so the test runs what the image ships.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Relative to the repository root; where it lands in the layout is its root. */
export const RUNTIME_ENTRYPOINT = 'deploy/docker/entrypoint.sh';

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

/** Copies the runtime layout into `into` (created); throws naming a workspace that was not compiled. */
export function assembleRuntimeLayout(into: string, repo = REPO_ROOT): void {
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
}
