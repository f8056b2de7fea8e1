/**
 * Checks bench/servers/peers/planetmint.ts against the real server: three DemoLedger blocks published,
 * and one `ws` client on each stream receives every frame, in order, byte for byte what
 * blockcast's planetmint profile sends for the same block (on valid_blocks, but for the hash:
 * Planetmint's is its app hash). Exits 1 on any difference.
 *
 *   bash bench/servers/peers/install-planetmint.sh && npx tsx bench/servers/peers/verify-planetmint.ts [--version 3.0]
 */

import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { freePort } from '@blockcast/devkit';
import {
  normaliseBlock,
  type TransactionVersion,
  validBlockFrame,
  validTransactionFrame,
} from '@blockcast/protocol';
import WebSocket from 'ws';
import { startPlanetmintServer } from './planetmint.js';

const BLOCKS = 3;
const TRANSACTIONS_PER_BLOCK = 5;
const DEADLINE_MS = 30_000;
/** Stands for the one field of valid_blocks the two servers fill from different sources. */
const APP_HASH = '<app hash>';
const withoutAppHash = (frame: string) => frame.replace(/"hash": "[0-9a-f]{64}"/, `"hash": "${APP_HASH}"`);

const deadline = setTimeout(() => {
  console.error(`not every frame arrived within ${DEADLINE_MS} ms`);
  process.exit(1);
}, DEADLINE_MS);

const server = await startPlanetmintServer({ port: await freePort(), pin: [] });
const { values } = parseArgs({ options: { version: { type: 'string', default: '2.0' } } });
// 2.0 (`asset`) or 3.0 (`assets`): the shim turns either into what Planetmint 2.5.3 accepts.
const ledger = new DemoLedger({ version: values.version as TransactionVersion });
const blocks = Array.from({ length: BLOCKS }, () => ledger.nextBlock(TRANSACTIONS_PER_BLOCK));
const expected = {
  valid_transactions: blocks.flatMap((block) => {
    const event = normaliseBlock(block);
    return event.transactions.map((tx) => validTransactionFrame('planetmint', block.height, tx));
  }),
  // The node's hash is its app hash (the shim computes it as end_block does), not the chain's block hash.
  valid_blocks: blocks.map((block) => validBlockFrame({ ...normaliseBlock(block), hash: APP_HASH })),
};

const received = await Promise.all(
  (Object.keys(expected) as (keyof typeof expected)[]).map(async (stream) => {
    const socket = new WebSocket(server.url.replace('valid_transactions', stream), {
      perMessageDeflate: false,
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const frames: string[] = [];
    const all = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        frames.push(String(data));
        if (frames.length === expected[stream].length) resolve();
      }),
    );
    return { stream, socket, frames, all };
  }),
);

for (const block of blocks) await server.publishBlock(block.height, block.transactions);
await Promise.all(received.map((client) => client.all));

let failed = false;
for (const { stream, socket, frames } of received) {
  socket.close();
  frames.forEach((frame, index) => {
    if ((stream === 'valid_blocks' ? withoutAppHash(frame) : frame) === expected[stream][index]) return;
    failed = true;
    console.error(
      `${stream} frame ${index}:\n  planetmint: ${frame}\n  blockcast:  ${expected[stream][index]}`,
    );
  });
  console.log(`${stream}: ${frames.length} frames; the first, as sent:\n  ${frames[0]}`);
}
const stopping = performance.now();
await server.stop();
const stopMs = performance.now() - stopping;
clearTimeout(deadline);
console.log(`stop() took ${stopMs.toFixed(0)} ms`);
// stop() ends within its 10 s grace (then SIGKILL); the node's own SIGTERM path takes well under that.
if (stopMs > 11_000) {
  failed = true;
  console.error('stop() overran its 10 s grace');
}
console.log(
  failed
    ? 'FAILED (see above)'
    : 'every frame in order, byte for byte as blockcast planetmint profile (valid_blocks: but for the hash)',
);
process.exit(failed ? 1 : 0);
