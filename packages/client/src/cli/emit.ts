/**
 * `blockcast emit <type> <json>`: one generic event through the SDK's emit, with an
 * Idempotency-Key (made here or `--key`), so running the same command again after a lost answer
 * is never a second event. Prints the position ingest gave it.
 */
import { EmitError } from '../emit.js';
import { BlockcastClient } from '../node.js';
import { CommandFailure, ExitCode, exitCodeOfStatus, UsageError } from './exit-codes.js';
import type { Command } from './main.js';

export const emitCommand: Command = {
  name: 'emit',
  summary: 'post a generic event (NODE_STATUS, APP_MESSAGE) to ingest and print its position',
  usage: 'emit <type> <json> [options]',
  help: `
Posts {"content": <json>} to ingest's POST /api/v1/events/<type> with an Idempotency-Key, retried
with the same key on a network error, 429 or 5xx (5 tries). Prints the position the event got
(H-S: after block H, the S-th event emitted there) on stdout; the key and epoch on stderr. The
same --key again within 24 h answers with the first event's position instead of adding one.
The types and their content schemas: blockcast catalog, or docs/protocol.md.

options:
  --ingest URL      ingest (default $BLOCKCAST_INGEST_URL or http://localhost:9986)
  --token T         a token of INGEST_TOKENS or INGEST_EVENT_TOKENS (default $BLOCKCAST_TOKEN);
                    npm start prints one
  --key K           the Idempotency-Key (default: a new UUID, printed on stderr)
  -o, --format F    position (default: the position alone) or json (ingest's whole answer)

exit codes: 0 emitted (or already, with that key), 1 usage (also content that is not JSON),
2 ingest unreachable or it did not confirm (run again with the printed --key), 5 token refused,
6 the event refused (unknown type, content against its schema, key reused for another event)

examples:
  blockcast emit NODE_STATUS '{"node_id": "node-1", "status": "up"}' --token "$TOKEN"
  blockcast emit APP_MESSAGE '{"topic": "deploys", "body": "v2 is out"}' --key deploy-v2
  position=$(blockcast emit NODE_STATUS '{"node_id": "n1", "status": "syncing"}')
`,
  options: {
    ingest: { type: 'string' },
    token: { type: 'string' },
    key: { type: 'string' },
    format: { type: 'string', short: 'o' },
  },
  async run({ positionals, flags }, defaults) {
    if (positionals.length !== 2) throw new UsageError('name the event type and its content (JSON)');
    const [type, json] = positionals as [string, string];
    let content: unknown;
    try {
      content = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`the content is not JSON: ${(error as Error).message}`);
    }
    const format = flags.get('format') ?? 'position';
    if (format !== 'position' && format !== 'json')
      throw new UsageError(`-o takes position or json, not ${JSON.stringify(format)}`);
    const ingestUrl = flags.get('ingest') ?? defaults.ingestUrl;
    const key = flags.get('key') ?? crypto.randomUUID();
    const token = flags.get('token') ?? defaults.token;
    const client = new BlockcastClient({
      apiRoot: defaults.apiRoot,
      ingestUrl,
      ...(token === undefined ? {} : { emitToken: token }),
    });
    try {
      const emitted = await client.emitWithKey(type, content, key);
      process.stderr.write(
        `blockcast emit: ${emitted.type} at ${emitted.position} (epoch ${emitted.epoch}, --key ${key})\n`,
      );
      process.stdout.write(`${format === 'json' ? JSON.stringify(emitted) : emitted.position}\n`);
      return ExitCode.DONE;
    } catch (error) {
      const status = error instanceof EmitError ? error.status : undefined;
      if (status !== undefined && exitCodeOfStatus(status) !== ExitCode.CANNOT_CONNECT)
        throw new CommandFailure(exitCodeOfStatus(status), (error as Error).message);
      throw new CommandFailure(
        ExitCode.CANNOT_CONNECT,
        `${ingestUrl} did not confirm (${(error as Error).message}); the event may or may not be written: run again with --key ${key}`,
      );
    } finally {
      await client.close();
    }
  },
};
