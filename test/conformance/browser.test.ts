/**
 * The SDK's browser build (bundled by esbuild for the browser platform: a Node-only import fails
 * the bundle) in Debian's Chromium, driven by playwright-core, in a page served on localhost,
 * against the real stack: each gateway killed with -9 in turn, and every frame posted after the
 * start delivered once, in order. Nothing downloads a browser; without /usr/bin/chromium the test
 * is skipped, except under CI, where it must run.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@blockcast/devkit';
import { build } from 'esbuild';
import { chromiumStackSkip, launchChromium } from '../support/chromium.js';
import { StackControl } from './stack-control-client.js';

const ENTRY = fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url));

/** The page: the bundle, a subscription with a sessionStorage position store, and what it saw on `window`. */
const PAGE = (apiRoot: string) => `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { BlockcastClient, WebStoragePositionStore } from '/client.js';
  const seen = { frames: [], states: [], signals: [] };
  window.__blockcast = seen;
  const client = new BlockcastClient({
    apiRoot: ${JSON.stringify(apiRoot)},
    positionStore: new WebStoragePositionStore(sessionStorage),
    backoff: { baseMs: 100, capMs: 1000 },
  });
  const subscription = client.subscribe('valid_transactions', {
    onEvent: (event) => { seen.frames.push(event.text); },
  });
  subscription.on('state', (change) => seen.states.push(change.state + ' ' + (change.code ?? '')));
  subscription.on('signal', (signal) => seen.signals.push(signal.kind));
  subscription.start();
</script>`;

test(
  'the browser build in Chromium survives a gateway kill -9 and loses nothing',
  { ...chromiumStackSkip(), timeout: 300_000 },
  async (t) => {
    const bundle = await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['browser'],
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    assert.doesNotMatch(
      script,
      /from ["']node:|require\(["']node:/,
      'the browser build imports no Node module',
    );

    const control = new StackControl();
    t.after(() => control.stop());
    const stack = await control.start({ gateways: 2 });
    await control.send({ cmd: 'postBlocks', n: 3 });
    const { head } = await control.send<{ head: number }>({ cmd: 'awaitCatalog' });

    const server = createServer((request, response) => {
      if (request.url === '/client.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE(stack.apiRoot));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const browser = await launchChromium(t);
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const seen = () =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as {
              __blockcast: { frames: string[]; states: string[]; signals: string[] };
            }
          ).__blockcast,
      );
    await waitUntil(async () => (await seen()).states.includes('open '), 30_000, 'the page connected', 100);

    await control.send({ cmd: 'postBlocks', n: 5 });
    await control.killEachGatewayInTurn(3);
    await control.send({ cmd: 'postBlocks', n: 2 });

    const owed = await control.framesAfter('valid_transactions', '', head);
    await waitUntil(
      async () => (await seen()).frames.length >= owed.length,
      60_000,
      `${owed.length} frames in the page`,
      200,
    );
    const final = await seen();
    assert.deepEqual(final.frames, owed, 'every frame after the start, once, in order');
    assert.deepEqual(final.signals, [], 'no signal');
    assert.deepEqual(errors, [], 'no error in the page');
    assert.ok(
      final.states.filter((state) => state === 'open ').length >= 2,
      `reconnected after the kill: ${final.states.join(', ')}`,
    );
  },
);
