/**
 * The SDK against a WebSocket server of the test's own that plays the gateway's part of a resume:
 * the frames of the block in progress (already delivered before the cut) sent again, and new
 * frames right behind them in the same burst. The repeats are dropped and the new frames are
 * delivered at once — not left queued until some later frame happens to arrive.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BlockcastClient, MemoryPositionStore } from '@blockcast/client/node';
import { waitUntil } from '@blockcast/devkit';
import { WebSocketServer } from 'ws';

const tx = (height: number, id: string) =>
  `{"height": ${height}, "asset_id": "${id}", "transaction_id": "${id}"}`;

test('frames right behind dropped repeats are delivered without waiting for another frame', async (t) => {
  const queries: string[] = [];
  const http = createServer((request, response) => {
    const port = (http.address() as AddressInfo).port;
    const body =
      request.url === '/api/v1/streams'
        ? { epoch: 'e1', head_height: 11, oldest_height: 1 }
        : { streams: `ws://127.0.0.1:${port}/api/v1/streams/valid_transactions` };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const server = new WebSocketServer({ server: http });
  server.on('connection', (socket, request) => {
    queries.push(new URL(request.url ?? '', 'ws://x').search);
    // One burst: block 12 again (a and b were delivered before the cut), then c of block 12 and block 13.
    for (const frame of [tx(12, 'a'), tx(12, 'b'), tx(12, 'c'), tx(13, 'd')]) socket.send(frame);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of server.clients) socket.terminate();
    server.close();
    http.close();
  });

  const store = new MemoryPositionStore();
  store.save('resumed', { epoch: 'e1', since: '11', delivered: ['a', 'b'] });
  const client = new BlockcastClient({
    apiRoot: `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1/`,
    positionStore: store,
  });
  t.after(() => client.close());
  const delivered: string[] = [];
  const subscription = client.subscribe('valid_transactions', {
    key: 'resumed',
    onEvent: (event) => void delivered.push(event.text),
  });
  void subscription.start();
  await waitUntil(() => delivered.length >= 2, 5000, 'c and d delivered from the one burst', 10);
  assert.deepEqual(delivered, [tx(12, 'c'), tx(13, 'd')], 'a and b dropped, c and d delivered in order');
  assert.deepEqual(queries, ['?since=11&epoch=e1'], 'resumed from the stored position, epoch pinned');
  assert.deepEqual(store.load('resumed'), { epoch: 'e1', since: '12', delivered: ['d'] });
});
