/** Built-in `console`: prints each committed block, like BigchainDB's events-plugin-example. */
import { EventType } from '@blockcast/protocol';
import type { PluginEvent } from '../plugin-api.js';

export const eventTypes = EventType.BLOCK_VALID;

export async function run(events: AsyncIterable<PluginEvent>): Promise<void> {
  for await (const event of events) {
    // One line per block: the events-stream JSON, so the output can be piped into jq as it is.
    process.stdout.write(`${event.json}\n`);
  }
}
