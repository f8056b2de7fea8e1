/**
 * A change of the query (LEAP registering a new type) against a WebSocket server of the test's own
 * that holds the new connection's handshake while the old connection sends one more event: the old
 * connection must deliver nothing after the change, or an event of the new type lying between the
 * position and the swap would be skipped as "before the position".
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BlockcastClient, type StreamEvent } from '@blockcast/client/node';
import { waitUntil } from '@blockcast/devkit';
import { type WebSocket, WebSocketServer } from 'ws';

const status = (seq: number) =>
  `{"type": "NODE_STATUS", "height": 5, "seq": ${seq}, "content": {"node_id": "n", "status": "up"}}`;
const message = (seq: number) =>
  `{"type": "APP_MESSAGE", "height": 5, "seq": ${seq}, "content": {"topic": "t", "body": ${seq}}}`;

test('after a change of types the old connection delivers nothing more; the new one brings every event after the position', async (t) => {
  const delivered: string[] = [];
  const queries: string[] = [];
  let first: WebSocket | undefined;
  const http = createServer((request, response) => {
    const port = (http.address() as AddressInfo).port;
    const body =
      request.url === '/api/v1/streams'
        ? { epoch: 'e1', head_height: 5, oldest_height: 1 }
        : { streams: `ws://127.0.0.1:${port}/api/v1/streams/valid_transactions` };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const server = new WebSocketServer({
    server: http,
    verifyClient: (_info: { req: IncomingMessage }, done: (ok: boolean) => void) => {
      if (first === undefined) return done(true);
      // The new connection waits while the old one sends event 5-3 (emitted after 5-2, an APP_MESSAGE).
      first.send(status(3));
      void Promise.race([
        waitUntil(() => delivered.length >= 2, 2000, 'x', 10).catch(() => {}),
        delay(500),
      ]).then(() => done(true));
    },
  });
  server.on('connection', (socket, request) => {
    queries.push(new URL(request.url ?? '', 'ws://x').search);
    if (first === undefined) {
      first = socket;
      socket.send(status(1));
    } else for (const frame of [message(2), status(3)]) socket.send(frame);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of server.clients) socket.terminate();
    server.close();
    http.close();
  });

  const client = new BlockcastClient({
    apiRoot: `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1/`,
  });
  t.after(() => client.close());
  const subscription = client.subscribe('events', {
    params: { types: 'NODE_STATUS' },
    onEvent: (event: StreamEvent<'events'>) => void delivered.push(event.text),
  });
  void subscription.start();
  await waitUntil(() => delivered.length === 1, 5000, 'the first event', 10);
  await subscription.changeParams({ types: 'APP_MESSAGE,NODE_STATUS' });
  await waitUntil(() => delivered.length >= 3, 5000, 'three events', 10).catch(() => {});
  assert.deepEqual(
    delivered,
    [status(1), message(2), status(3)],
    'the APP_MESSAGE between the position and the swap is delivered, each once',
  );
  assert.deepEqual(queries, [
    '?types=NODE_STATUS&since=4&epoch=e1',
    '?types=APP_MESSAGE%2CNODE_STATUS&since=5-1&epoch=e1',
  ]);
});
