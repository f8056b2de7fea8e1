/**
 * `npm run watch [stream]`: what a BigchainDB client does — ask the API root where the stream
 * is, connect, print every frame. A `since` without `epoch` gets the catalog's current epoch.
 * API_ROOT overrides http://localhost:9984/api/v1/.
 */
import WebSocket from 'ws';

const apiRoot = process.env.API_ROOT ?? 'http://localhost:9984/api/v1/';
const stream = process.argv[2];

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const response = await fetch(apiRoot).catch((error: unknown) =>
  fail(
    `cannot reach the API root ${apiRoot} (${String(error)}): is \`npm start\` running? set API_ROOT otherwise`,
  ),
);
const root = (await response.json().catch(() => ({}))) as { streams?: string };
if (typeof root.streams !== 'string')
  fail(`${apiRoot} has no "streams" URL: is it a blockcast or BigchainDB API root?`);
const url = new URL(stream ? root.streams.replace(/valid_transactions$/, stream) : root.streams);
// `since` needs the epoch it belongs to (EPOCH_REQUIRED otherwise): the current one, from the catalog.
if (url.searchParams.has('since') && !url.searchParams.has('epoch')) {
  const catalogUrl = new URL('streams', apiRoot);
  const catalog = (await fetch(catalogUrl)
    .then((answer) => answer.json())
    .catch((error: unknown) => fail(`cannot read the stream catalog ${catalogUrl} (${String(error)})`))) as {
    epoch?: string | null;
  };
  // An empty stream has no epoch yet: `since` is then judged alone.
  if (typeof catalog.epoch === 'string') url.searchParams.set('epoch', catalog.epoch);
}
process.stderr.write(`connecting to ${url}\n`);
const socket = new WebSocket(url);
socket.on('message', (data) => process.stdout.write(`${String(data)}\n`));
socket.on('error', (error) => fail(`stream error: ${error.message}`));
socket.on('close', (code, reason) => {
  process.stderr.write(`closed ${code} ${reason.toString()}\n`);
  process.exit(code === 1000 ? 0 : 1);
});
