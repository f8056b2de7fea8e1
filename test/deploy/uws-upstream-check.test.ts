/**
 * scripts/check-uws-upstream.sh compares the installed uWS binaries with upstream's release tag
 * (deploy/uws-binaries.json, `upstreamRelease`). Upstream cannot be reached from CI, so it runs here
 * against local git repositories laid out as upstream's binaries branch is: one holding the
 * installed binaries under the release tag passes; one with a single byte changed, one without the
 * file and one that does not exist fail, each saying why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const record = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/uws-binaries.json'), 'utf8')) as {
  packages: Record<string, { upstreamRelease?: string; binaries: Record<string, string> }>;
};
const claimed = Object.entries(record.packages).filter(([, pinned]) => pinned.upstreamRelease);
const scratch = mkdtempSync(join(tmpdir(), 'blockcast-uws-upstream-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): void {
  const run = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `git ${args.join(' ')}: ${run.stderr}`);
}

/** A repository whose release tags hold the installed binaries, changed by `alter` first. */
function upstreamLike(name: string, alter: (file: string) => void = () => {}): string {
  const dir = join(scratch, name);
  git(scratch, 'init', '--quiet', name);
  const tags = new Set<string>();
  for (const [alias, pinned] of claimed) {
    for (const file of Object.keys(pinned.binaries)) {
      const copy = join(dir, basename(file));
      copyFileSync(join(REPO_ROOT, 'node_modules', alias, file), copy);
      alter(copy);
    }
    tags.add(pinned.upstreamRelease as string);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'binaries');
  for (const tag of tags) git(dir, 'tag', tag);
  return dir;
}

function check(upstream: string) {
  const run = spawnSync('bash', ['scripts/check-uws-upstream.sh', '--upstream', upstream], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: run.status, said: run.stderr };
}

test('deploy/uws-binaries.json names the upstream release of the image build', () => {
  assert.deepEqual(
    claimed.map(([alias, pinned]) => [alias, pinned.upstreamRelease]),
    [['uWebSockets.js-v20.57', 'v20.57.0']],
  );
});

test('binaries identical to upstream release tag pass; each is named', () => {
  const { status, said } = check(upstreamLike('same'));
  assert.equal(status, 0, said);
  for (const [alias, pinned] of claimed) {
    for (const file of Object.keys(pinned.binaries)) {
      assert.match(said, new RegExp(`${alias}/${file}: identical to upstream`));
    }
  }
});

test('one changed byte, a missing file or an unreadable upstream fails', () => {
  const x64 = 'uws_linux_x64_137.node';
  const changed = check(
    upstreamLike('changed', (file) => {
      if (basename(file) !== x64) return;
      const bytes = readFileSync(file);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
      writeFileSync(file, bytes);
    }),
  );
  assert.equal(changed.status, 1, changed.said);
  assert.match(changed.said, new RegExp(`${x64}: DIFFERS from upstream v20\\.57\\.0`));
  const missing = check(upstreamLike('missing', (file) => basename(file) === x64 && rmSync(file)));
  assert.equal(missing.status, 1, missing.said);
  assert.match(missing.said, new RegExp(`upstream v20\\.57\\.0 has no ${x64}`));
  const nowhere = check(join(scratch, 'no-such-repository'));
  assert.equal(nowhere.status, 69, nowhere.said);
  assert.match(nowhere.said, /cannot read release v20\.57\.0/);
});
