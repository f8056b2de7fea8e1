/** Commits blocks and emits generic events on one gateway's log, recording the bus order. */
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import type { EmittedEventTypeName } from '@blockcast/protocol';
import { type BusItem, busBlocks } from './expected-frames.js';
import type { GatewayHarness } from './gateway-harness.js';

export class Bus {
  readonly items: BusItem[] = [];
  readonly #ledger = new DemoLedger();
  #events = 0;

  constructor(readonly gateway: GatewayHarness) {}

  async block(transactions = 2): Promise<void> {
    const block = this.#ledger.nextBlock(transactions);
    await this.gateway.commit(block);
    this.items.push({ block });
  }

  /** A generic event; `padding` characters of text make it as large as a test needs. */
  async emit(type: EmittedEventTypeName, padding = 0): Promise<void> {
    this.#events += 1;
    const content =
      type === 'NODE_STATUS'
        ? { node_id: `node-${this.#events}`, status: 'syncing', height: this.#events }
        : {
            topic: 'greetings',
            body: { text: `hello ✓ ${this.#events}${'.'.repeat(padding)}`, n: [this.#events, null, true] },
          };
    this.items.push({ event: await this.gateway.emit(type, content) });
  }

  get blocks() {
    return busBlocks(this.items);
  }

  /** Waits until the gateway has published the last block committed. */
  async published(): Promise<void> {
    const last = this.blocks.at(-1)?.height;
    await waitUntil(() => this.gateway.app.height === last, 10_000, `height ${last} published`);
  }
}
