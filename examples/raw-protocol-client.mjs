// A client that loses nothing, on the bare protocol (docs/protocol.md "The resume rule"), with
// only `ws`: what @blockcast/client does, in one file, for writing a client in another language.
// test/examples/raw-protocol-client.test.ts runs it against the stack under faults.
//
//   node examples/raw-protocol-client.mjs http://localhost:9984/api/v1/ [valid_transactions]
//
// stdout: every frame once, in order. Exits 3 when the history it needs is gone, 4 when the
// history changed (a reset), 6 when the server refuses the request itself.
import WebSocket from 'ws';

const apiRoot = process.argv[2] ?? 'http://localhost:9984/api/v1/';
const stream = process.argv[3] ?? 'valid_transactions';

let since; // every frame up to this position was handled
let epoch; // the history `since` belongs to: read before the first connection, never guessed
let blockHeight; // the height of the block being received (frames of one block may be cut apart)
const seen = new Set(); // ids of that block's frames already handled
let attempt = 0;

/** The application's work: here, print the frame as the server sent it. */
function handle(text) {
  process.stdout.write(`${text}\n`);
}

/** The history this client holds is over: the application must start again from the chain. */
function resynchronise(exitCode, why) {
  console.error(`resynchronise: ${why}`);
  process.exit(exitCode);
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

// Pin the history before the first connection: start at the head, in the current epoch.
const root = await getJson(apiRoot);
const streamsRoot = root.streams.slice(0, root.streams.lastIndexOf('/') + 1);
const catalog = await getJson(new URL('streams', apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`));
epoch = catalog.epoch ?? undefined;
since = catalog.head_height ?? undefined;

/** Full jitter: a uniform delay in [0, min(30 s, 250 ms × 2^attempt)). */
function backoff() {
  const ceiling = Math.min(30_000, 250 * 2 ** attempt);
  attempt = Math.min(attempt + 1, 20);
  return Math.floor(Math.random() * ceiling);
}

/** An `events` frame that is not a block's: an emitted event, placed at `height-seq`. */
function isGenericEvent(frame) {
  return frame.type !== undefined && frame.type !== 'BLOCK_VALID' && frame.type !== 'BLOCK_INVALID';
}

/** A frame's key within its block: what a replay of that block repeats. */
function keyOf(frame) {
  if (isGenericEvent(frame)) return `${frame.height}-${frame.seq}`;
  if ('type' in frame) return frame.type;
  if ('transaction_ids' in frame) return String(frame.height);
  return frame.transaction_id ?? frame.txid;
}

function connect() {
  const query = new URLSearchParams();
  if (since !== undefined) query.set('since', String(since));
  if (epoch !== undefined) query.set('epoch', epoch);
  // A handshake that never completes, or a connection that went silent, is ended and retried.
  const socket = new WebSocket(`${streamsRoot}${stream}?${query}`, { handshakeTimeout: 10_000 });
  let opened = false;
  let answered = true;
  const liveness = setInterval(() => {
    if (!answered) return socket.terminate(); // no "pong" (nor anything) since the last "ping"
    answered = false;
    socket.send('ping');
  }, 10_000);

  socket.on('open', () => {
    opened = true;
    console.error(`connected from ${since ?? 'now'} in epoch ${epoch ?? 'unknown'}`);
  });
  socket.on('upgrade', (response) => {
    epoch ??= response.headers['x-blockcast-epoch']; // an empty stream at start: learn it here
  });
  socket.on('unexpected-response', (_request, response) => {
    let body = '';
    response.on('data', (chunk) => {
      body += chunk;
    });
    response.on('end', () => {
      socket.removeAllListeners('close'); // this attempt is answered here, not by the close handler
      clearInterval(liveness);
      socket.terminate();
      let refusal = {};
      try {
        refusal = JSON.parse(body); // blockcast answers JSON; a proxy in front may answer HTML
      } catch {}
      const { code = '', message = '' } = refusal;
      const status = response.statusCode;
      if (status === 409) return resynchronise(4, `${code}: ${message}`); // never retried: another history
      if (status === 410) return resynchronise(3, `${code}: ${message}`);
      if (status === 429 || status >= 500) {
        const seconds = Number(response.headers['retry-after']);
        const delay = Number.isFinite(seconds) ? seconds * 1000 : backoff();
        console.error(`answered ${status} ${code}; retrying in ${delay} ms`);
        return setTimeout(connect, delay);
      }
      console.error(`refused ${status} ${code}: ${message}`);
      process.exit(6);
    });
  });
  socket.on('error', (error) => {
    console.error(`connection error: ${error.message}`); // `close` follows, and reconnects
  });
  socket.on('message', (data, isBinary) => {
    answered = true;
    const text = String(data);
    if (isBinary || text === 'pong') return;
    const frame = JSON.parse(text);
    if (frame.height === undefined) {
      // valid_tx frames carry no height: only close frames give a position.
      if (seen.has(frame.txid)) return;
      seen.add(frame.txid);
    } else if (isGenericEvent(frame)) {
      since = `${frame.height}-${frame.seq}`; // a generic event is one frame: exact
      blockHeight = undefined;
      seen.clear();
    } else {
      if (frame.height !== blockHeight) {
        if (since !== undefined && frame.height <= Number(String(since).split('-')[0])) return; // replayed
        blockHeight = frame.height;
        since = frame.height - 1; // every block before this one is complete
        seen.clear();
      }
      if (seen.has(keyOf(frame))) return; // had it before the cut
      seen.add(keyOf(frame));
    }
    handle(text);
  });
  socket.on('close', (code, reasonBuffer) => {
    clearInterval(liveness);
    const reason = String(reasonBuffer);
    if (code === 4011) return resynchronise(4, reason);
    if (code === 4010) return resynchronise(3, reason);
    const position = /(?:^|; )since=(\d+(?:-\d+)?)(?:;|$)/.exec(reason);
    const closeEpoch = /(?:^|; )epoch=([^;]+)/.exec(reason)?.[1];
    if (position) {
      if (epoch !== undefined && closeEpoch !== undefined && closeEpoch !== epoch)
        return resynchronise(4, reason);
      since = position[1]; // a blockcast close: exact, nothing after it was sent
      epoch = closeEpoch ?? epoch;
      blockHeight = undefined;
      seen.clear();
    } else if (epoch === undefined && opened) {
      return resynchronise(4, `cut (${code}) before the epoch was known`);
    }
    if (opened) attempt = 0;
    const delay = code === 1001 ? 0 : backoff();
    console.error(`closed ${code} ${reason}; reconnecting from ${since} in ${delay} ms`);
    setTimeout(connect, delay);
  });
}

connect();
