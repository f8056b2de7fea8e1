/**
 * A copy of the repository as a fresh clone has it: sources and manifests, no `dist`, no
 * `*.tsbuildinfo`, so a build run in it proves what that build compiles by itself — not what an
 * earlier `tsc -b` (CI's type check, a developer's editor) left behind. Its `node_modules` links
 * to the development install's packages, except the workspaces, which link into the copy.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { workspaceFolders } from '@blockcast/devkit';

const LEFT_OUT = new Set(['node_modules', 'dist', '.git', '.tmp', 'coverage']);

/** Creates the copy in a new temp directory and returns its path; the caller removes it. */
export function unbuiltCopy(repo: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'blockcast-unbuilt-'));
  cpSync(repo, copy, {
    recursive: true,
    filter: (source) => !LEFT_OUT.has(basename(source)) && !source.endsWith('.tsbuildinfo'),
  });
  const modules = join(copy, 'node_modules');
  mkdirSync(join(modules, '@blockcast'), { recursive: true });
  for (const entry of readdirSync(join(repo, 'node_modules'))) {
    if (entry !== '@blockcast') symlinkSync(join(repo, 'node_modules', entry), join(modules, entry));
  }
  for (const folder of workspaceFolders(copy)) {
    symlinkSync(join(copy, folder), join(modules, '@blockcast', basename(folder)));
  }
  return copy;
}
