/**
 * Planetmint 2.5.3's server when clients go away without a close frame: 50 clients stay, and in
 * each of 6 rounds 300 more connect, get 15 blocks, and are cut (socket destroyed) while 15
 * more blocks go out, at 10 blocks/s × 10 transactions. Prints how far the clients that stayed
 * got; exits 1 when they stopped short of the last block (what 2.5.3 does: its dispatcher task
 * ends on the first write to a cut socket).
 *
 *   npx tsx bench/scenarios/planetmint-abrupt-close.bench.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { freePort } from '@blockcast/devkit';
import WebSocket from 'ws';
import { startPlanetmintServer } from '../servers/peers/planetmint.js';

const KEPT = 50;
const CUT = 300;
const ROUNDS = 6;
const BLOCKS_PER_HALF = 15;
const DEADLINE_MS = 110_000;

const deadline = setTimeout(() => {
  console.error(`did not finish within ${DEADLINE_MS} ms`);
  process.exit(2);
}, DEADLINE_MS);

const server = await startPlanetmintServer({ port: await freePort(), pin: [] });
const ledger = new DemoLedger();
const connect = async () => {
  const socket = new WebSocket(server.url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return socket;
};
const kept = await Promise.all(Array.from({ length: KEPT }, connect));
const reached = kept.map(() => 0);
for (const [i, socket] of kept.entries()) {
  socket.on('message', (data) => {
    reached[i] = JSON.parse(String(data)).height;
  });
}

let published = 0;
const span = (heights: number[]) => `${Math.min(...heights)}–${Math.max(...heights)}`;
async function publish(blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    const block = ledger.nextBlock(10);
    await server.publishBlock(block.height, block.transactions);
    published = block.height;
    await delay(100);
  }
}

for (let round = 0; round < ROUNDS; round++) {
  const cut = await Promise.all(Array.from({ length: CUT }, connect));
  await publish(BLOCKS_PER_HALF);
  // No wait here: blocks are still in the server's queue when the sockets go, as in a real storm.
  console.log(
    `round ${round + 1}: before the cut, ${published} blocks published, kept clients at ${span(reached)}`,
  );
  for (const socket of cut) socket.terminate(); // no close frame: the socket is destroyed
  await publish(BLOCKS_PER_HALF);
  console.log(
    `round ${round + 1}: after the cut, ${published} blocks published, kept clients at ${span(reached)}`,
  );
}
await delay(2500); // the server's 1 s poll, and the send loop, for the last block
const lowest = Math.min(...reached);
console.log(`after ${published} blocks the ${KEPT} clients that stayed hold height ${span(reached)}`);
for (const socket of kept) socket.terminate();
await server.stop();
clearTimeout(deadline);
process.exit(lowest === published ? 0 : 1);
