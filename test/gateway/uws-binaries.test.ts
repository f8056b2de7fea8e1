/**
 * The gateway runs a third party's native binary: deploy/uws-binaries.json pins each uWebSockets.js
 * package (version, lock integrity) and the SHA-256 of each linux binary it may load. A new build
 * slipped in under the same version, a lock edited by hand or a binary swapped on disk fails here
 * until someone checks it and updates the record.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UWS_LOADED_FROM, UWS_PACKAGES } from '../../services/gateway/src/transport/transport.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface PackageRecord {
  package: string;
  version: string;
  integrity: string;
  binaries: Record<string, string>;
}
const record = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/uws-binaries.json'), 'utf8')) as {
  packages: Record<string, PackageRecord>;
};
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string; version?: string; integrity?: string }>;
};

const installed = (alias: string, file: string) => join(REPO_ROOT, 'node_modules', alias, file);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('the record covers exactly the packages the gateway tries', () => {
  assert.deepEqual(Object.keys(record.packages).sort(), [...UWS_PACKAGES].sort());
});

test('each uWS package is locked and installed at its recorded version and integrity', () => {
  for (const [alias, pinned] of Object.entries(record.packages)) {
    const locked = lock.packages[`node_modules/${alias}`];
    assert.deepEqual(
      { name: locked?.name, version: locked?.version, integrity: locked?.integrity },
      { name: pinned.package, version: pinned.version, integrity: pinned.integrity },
      `package-lock.json pins ${alias} as recorded`,
    );
    const manifest = JSON.parse(readFileSync(installed(alias, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    assert.deepEqual(
      { name: manifest.name, version: manifest.version },
      { name: pinned.package, version: pinned.version },
    );
  }
});

test('every recorded binary is installed with its recorded SHA-256', () => {
  for (const [alias, pinned] of Object.entries(record.packages)) {
    for (const [file, hash] of Object.entries(pinned.binaries)) {
      assert.equal(sha256(installed(alias, file)), hash, `${alias}/${file} is the recorded build`);
    }
  }
});

test('the binary the gateway loads on this machine is a recorded one', () => {
  const own = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const pinned = record.packages[UWS_LOADED_FROM];
  const file = Object.keys(pinned?.binaries ?? {}).find((path) => basename(path) === own);
  assert.ok(file !== undefined, `deploy/uws-binaries.json records ${UWS_LOADED_FROM}/${own}`);
  const path = installed(UWS_LOADED_FROM, file);
  assert.ok(existsSync(path));
  assert.equal(sha256(path), pinned?.binaries[file]);
});
