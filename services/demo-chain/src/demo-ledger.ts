import {
  type CommittedBlock,
  createTransaction,
  newPublicKey,
  type RejectedTransaction,
  type Transaction,
  type TransactionVersion,
  transferTransaction,
} from '@blockcast/protocol';

interface UnspentOutput {
  assetId: string;
  transactionId: string;
  outputIndex: number;
  owners: string[];
}

/**
 * A small in-memory chain with a handful of participants: each block mixes new assets (CREATE)
 * and hand-overs of existing ones (TRANSFER spending a real unspent output), so streams show
 * the asset ids and keys a real network would.
 */
export class DemoLedger {
  readonly #participants: string[];
  readonly #unspent: UnspentOutput[] = [];
  /** Outputs spent recently: what a double spend, the demo's rejected transaction, tries to spend again. */
  readonly #spent: UnspentOutput[] = [];
  #nextHeight: number;
  #sequence = 0;

  readonly #version: TransactionVersion;

  constructor(options: { participants?: number; firstHeight?: number; version?: TransactionVersion } = {}) {
    this.#version = options.version ?? '2.0';
    this.#participants = Array.from({ length: options.participants ?? 6 }, newPublicKey);
    this.#nextHeight = options.firstHeight ?? 1;
  }

  /** Continue from a height the bus already holds (a restart of the demo against Redis). */
  resumeAfter(height: number): void {
    this.#nextHeight = height + 1;
  }

  /**
   * The next block: `transactionCount` valid transactions and, when asked and something was
   * spent before, `doubleSpends` rejected ones — transfers of an output already spent, refused
   * as a node refuses them (code 1, a DoubleSpend log), so `invalid_transactions` has frames.
   */
  nextBlock(transactionCount: number, doubleSpends = 0): CommittedBlock {
    const transactions: Transaction[] = [];
    for (let i = 0; i < transactionCount; i += 1) transactions.push(this.#nextTransaction());
    const rejected = Array.from({ length: this.#spent.length > 0 ? doubleSpends : 0 }, () =>
      this.#doubleSpend(),
    );
    const height = this.#nextHeight;
    this.#nextHeight += 1;
    return { height, hash: randomHex(32), transactions, ...(rejected.length > 0 ? { rejected } : {}) };
  }

  #nextTransaction(): Transaction {
    this.#sequence += 1;
    const spendable = this.#unspent.length > 0 && Math.random() < 0.6;
    return spendable ? this.#transfer() : this.#create();
  }

  #create(): Transaction {
    const issuer = this.#pick();
    const owners =
      Math.random() < 0.2 ? [{ publicKeys: [issuer, this.#pick()] }] : [{ publicKeys: [issuer] }];
    const tx = createTransaction({
      issuer,
      owners,
      data: { kind: 'demo-asset', serial: this.#sequence, label: `asset #${this.#sequence}` },
      metadata: { sequence: this.#sequence },
      version: this.#version,
    });
    this.#unspent.push({
      assetId: tx.id,
      transactionId: tx.id,
      outputIndex: 0,
      owners: owners[0]!.publicKeys,
    });
    return tx;
  }

  #transfer(): Transaction {
    const index = Math.floor(Math.random() * this.#unspent.length);
    const spent = this.#unspent.splice(index, 1)[0]!;
    this.#spent.push(spent);
    if (this.#spent.length > 100) this.#spent.shift();
    const newOwner = this.#pick();
    const tx = transferTransaction({
      assetId: spent.assetId,
      spends: { transactionId: spent.transactionId, outputIndex: spent.outputIndex, owners: spent.owners },
      owners: [{ publicKeys: [newOwner] }],
      metadata: { sequence: this.#sequence },
      version: this.#version,
    });
    this.#unspent.push({ assetId: spent.assetId, transactionId: tx.id, outputIndex: 0, owners: [newOwner] });
    return tx;
  }

  #doubleSpend(): RejectedTransaction {
    const spent = this.#spent[Math.floor(Math.random() * this.#spent.length)]!;
    const transaction = transferTransaction({
      assetId: spent.assetId,
      spends: { transactionId: spent.transactionId, outputIndex: spent.outputIndex, owners: spent.owners },
      owners: [{ publicKeys: [this.#pick()] }],
      metadata: { sequence: this.#sequence, attempt: 'double spend' },
      version: this.#version,
    });
    return {
      transaction,
      code: 1,
      log: `DoubleSpend: input ${spent.transactionId}/${spent.outputIndex} was already spent`,
    };
  }

  #pick(): string {
    return this.#participants[Math.floor(Math.random() * this.#participants.length)]!;
  }
}

function randomHex(bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i += 1)
    out += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out.toUpperCase();
}
