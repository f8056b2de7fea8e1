/**
 * Debian's Chromium driven by playwright-core, for the browser tests: nothing downloads a browser;
 * without /usr/bin/chromium (or HAProxy, or Redis, which the stack needs) a test is skipped,
 * except under CI, where it must run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';
import { chaosSkip } from './chaos-topology.js';
import { haproxyInstalled } from './haproxy.js';
import { missing as absent } from './test-dependencies.js';

const CHROMIUM = '/usr/bin/chromium';
/** The flags the brief for CI machines asks for; playwright adds --headless itself. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Test options: skipped without Redis, Chromium or HAProxy (the real stack's parts), never under CI. */
export function chromiumStackSkip(): { skip?: string } {
  const redis = chaosSkip();
  if (redis.skip !== undefined) return redis;
  const missing = [!existsSync(CHROMIUM) && 'chromium', !haproxyInstalled() && 'haproxy'].filter(Boolean);
  if (missing.length === 0) return {};
  return absent(missing.join(' and '), 'apt-get install -y chromium haproxy');
}

/** Headless Chromium with a fresh profile, closed and removed after the test. */
export async function launchChromium(t: TestContext): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'blockcast-chromium-'));
  const browser = await chromium
    .launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS })
    .catch((error: unknown) => {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    });
  // One hook, in this order: hooks run in the order registered, and Chromium writes its profile until closed.
  t.after(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}
