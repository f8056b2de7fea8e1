/**
 * The explorer page as discovery serves it: the page, one script and one stylesheet, each with its
 * content type and a Content-Security-Policy that allows this origin and the advertised streams
 * origin only; the page refers to nothing else, and the script is the bundled browser SDK.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveryApp, get } from './support.js';

const ENV = {
  ADVERTISED_STREAMS_HOST: 'node.example',
  ADVERTISED_STREAMS_PORT: '7443',
  ADVERTISED_STREAMS_SCHEME: 'wss',
};

test('GET /explorer, its script and stylesheet are served with their content types and a self-only CSP', async (t) => {
  const app = discoveryApp(t, ENV);
  for (const [url, type] of [
    ['/explorer', /^text\/html; charset=utf-8$/],
    ['/explorer/', /^text\/html; charset=utf-8$/],
    ['/explorer/explorer.js', /^text\/javascript; charset=utf-8$/],
    ['/explorer/explorer.css', /^text\/css; charset=utf-8$/],
  ] as const) {
    const response = await get(app, url);
    assert.equal(response.status, 200, url);
    assert.match(String(response.headers['content-type']), type, url);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
    const policy = String(response.headers['content-security-policy']);
    assert.match(policy, /default-src 'none'/, url);
    assert.match(policy, /script-src 'self'(;|$)/, url);
    assert.match(policy, /style-src 'self'(;|$)/, url);
    assert.match(
      policy,
      /connect-src 'self' wss:\/\/node\.example:7443(;|$)/,
      `${url}: the advertised streams origin`,
    );
    assert.doesNotMatch(policy, /unsafe|\*|https?:/, `${url}: nothing but self and the streams origin`);
  }
});

test('the page loads only its own script and stylesheet, and the script is a small self-contained browser bundle', async (t) => {
  const app = discoveryApp(t);
  const page = (await get(app, '/explorer')).text;
  const references = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  assert.deepEqual(references.sort(), ['/explorer/explorer.css', '/explorer/explorer.js']);
  assert.match(page, /<main>/, 'a main landmark');
  assert.match(page, /role="status" aria-live="polite"/, 'the connection state is a live region');
  for (const name of ['public_key', 'asset_id', 'operation']) {
    assert.match(page, new RegExp(`<label>[^<]*<(input|select) name="${name}"`), `${name} has a label`);
  }

  const script = (await get(app, '/explorer/explorer.js')).text;
  assert.doesNotMatch(
    script,
    /\bimport\s*["'{*]|from\s*["']|require\(/,
    'everything bundled: no import left',
  );
  assert.doesNotMatch(script, /https?:\/\/(?!localhost)[a-z]/i, 'no URL of another host');
  assert.match(script, /\/api\/v1\//, 'the API root is this origin');
  assert.ok(script.length < 100_000, `small: ${script.length} bytes`);
});
