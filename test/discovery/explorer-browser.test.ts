/**
 * The explorer page in Debian's Chromium (playwright-core), served by discovery, against the real
 * stack (Redis, ingest, two gateways behind HAProxy, discovery, each its own process): it renders
 * the transactions of blocks as they are posted, an operation filter applied while blocks arrive
 * narrows them with no gap and no repeat, and a gateway kill -9 shows "reconnecting" and then
 * every frame once. The rendered transaction ids are compared with the event log. Screenshots go
 * to test-artifacts/explorer/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@blockcast/devkit';
import type { Page } from 'playwright-core';
import { StackControl } from '../conformance/stack-control-client.js';
import { chromiumStackSkip, launchChromium } from '../support/chromium.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/explorer/', import.meta.url));

interface Row {
  id: string;
  height: number;
  operation: string;
}

/** The valid transactions the page shows after height `after`, oldest first (it lists the newest first). */
async function renderedTransactions(page: Page, after: number): Promise<Row[]> {
  // A string: the tests are type-checked without the DOM library.
  const rows = await page.evaluate<Row[]>(`[...document.querySelectorAll('#transactions tr')].map((row) => ({
    id: row.dataset.transactionId, height: Number(row.dataset.height), operation: row.dataset.operation,
  }))`);
  return rows.filter((row) => row.operation !== 'invalid' && row.height > after).reverse();
}

/** The valid transactions of the log after height `after` matching `query`, oldest first. */
async function loggedTransactions(control: StackControl, query: string, after: number): Promise<Row[]> {
  const history = (await control.log('valid_transactions', query)).at(-1);
  assert.ok(history !== undefined, 'the log has a history');
  return history.frames
    .map((text) => JSON.parse(text) as { transaction_id: string; height: number })
    .filter((frame) => frame.height > after)
    .map((frame) => ({ id: frame.transaction_id, height: frame.height, operation: '' }));
}

test(
  'the explorer shows blocks as posted, narrows them by a filter without a gap, and survives a gateway kill -9',
  { ...chromiumStackSkip(), timeout: 240_000 },
  async (t) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const control = new StackControl();
    t.after(() => control.stop());
    const stack = await control.start({ gateways: 2 });
    await control.send({ cmd: 'postBlocks', n: 3 });
    const { head } = await control.send<{ head: number }>({ cmd: 'awaitCatalog' });

    const browser = await launchChromium(t);
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.setViewportSize({ width: 1100, height: 760 });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // A CSP violation is logged, not thrown (the failed connections to a killed gateway are expected).
      if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    const outside: string[] = [];
    const origin = new URL(stack.discoveryUrl).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin)) outside.push(request.url());
    });
    await page.goto(`${stack.discoveryUrl}/explorer`);
    // Every state the status shows, recorded in the page so none is missed between polls.
    await page.evaluate(`{
      const status = document.getElementById('status');
      const states = [status.dataset.state];
      globalThis.__states = states;
      new MutationObserver(() => states.push(status.dataset.state)).observe(status, {
        attributes: true,
        attributeFilter: ['data-state'],
      });
    }`);
    const states = () => page.evaluate<string[]>('globalThis.__states');
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 30_000 });
    await page.locator('#streams tr').first().waitFor();
    assert.equal(
      await page.locator('#history dd').first().textContent(),
      (await control.log('events', '')).at(-1)?.epoch,
    );

    // Blocks posted now appear, each transaction once, linked to its block's row.
    await control.send({ cmd: 'postBlocks', n: 4 });
    const all = await loggedTransactions(control, '', head);
    assert.ok(all.length > 0, 'the posted blocks have transactions');
    await waitUntil(
      async () => (await renderedTransactions(page, head)).length >= all.length,
      30_000,
      'rows',
      100,
    );
    assert.deepEqual(
      (await renderedTransactions(page, head)).map((row) => row.id),
      all.map((row) => row.id),
    );
    const link = page.locator('#transactions tr a').first();
    const target = await link.getAttribute('href');
    await link.click();
    assert.equal(await page.evaluate<string>('location.hash'), target);
    assert.equal(
      await page.evaluate<string>('document.activeElement.id'),
      target?.slice(1),
      'the block row has focus',
    );
    await page.screenshot({ path: `${ARTIFACTS}1-live.png` });

    // The filter, applied while blocks are posted: from some height K on only transfers, nothing missed.
    const before = all.at(-1)!.height;
    await page.selectOption('select[name="operation"]', 'TRANSFER');
    const posting = control.send({ cmd: 'postBlocks', n: 4 });
    await page.getByRole('button', { name: 'Apply' }).click();
    await posting;
    await control.send({ cmd: 'postBlocks', n: 2 });

    // A gateway kill -9 (each in turn: the page is on one of them) while blocks are posted.
    await control.killEachGatewayInTurn(3);
    await control.send({ cmd: 'postBlocks', n: 2 });

    const unfiltered = await loggedTransactions(control, '', before);
    const transfers = await loggedTransactions(control, 'operation=TRANSFER', before);
    const last = transfers.at(-1)!;
    await waitUntil(
      async () => (await renderedTransactions(page, before)).at(-1)?.id === last.id,
      60_000,
      'the last transfer in the page',
      200,
    );
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 30_000 });
    const rendered = await renderedTransactions(page, before);
    const seams = [...new Set([before, ...unfiltered.map((row) => row.height)])];
    const matching = seams.find((k) => {
      const expected = [
        ...unfiltered.filter((row) => row.height <= k),
        ...transfers.filter((row) => row.height > k),
      ].map((row) => row.id);
      return JSON.stringify(expected) === JSON.stringify(rendered.map((row) => row.id));
    });
    assert.notEqual(
      matching,
      undefined,
      `every transaction up to the filter change, then every transfer, once and in order: ${rendered.length} rendered, ${transfers.length} transfers logged`,
    );
    assert.ok(
      rendered.filter((row) => row.height > matching!).every((row) => row.operation === 'TRANSFER'),
      'only transfers after the change',
    );
    assert.ok(
      (await states()).includes('reconnecting'),
      `"reconnecting" shown: ${(await states()).join(', ')}`,
    );
    assert.match(String(await page.locator('#resume').textContent()), /^since=\d+ epoch=\S+$/);
    await page.evaluate('scrollTo(0, 0)');
    await page.screenshot({ path: `${ARTIFACTS}2-filtered-after-kill.png` });

    assert.deepEqual(problems, [], 'no error and no CSP violation in the page');
    assert.deepEqual(outside, [], 'no request beyond the node that served the page');
  },
);
