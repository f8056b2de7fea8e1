import {
  type BlockEvent,
  blockValidEventFrame,
  type FrameProfile,
  invalidTransactionFrame,
  legacyValidTxFrame,
  type StreamName,
  validBlockFrame,
  validTransactionFrame,
} from '@blockcast/protocol';

/**
 * One example frame per stream, made by the same builders the gateway sends with, so the
 * catalog can never show a shape the wire does not carry. Placeholders as in the original docs.
 */
const HASH = '<sha3-256 hash>';

const EXAMPLE_BLOCK: BlockEvent = {
  height: 1,
  hash: '<block hash>',
  chainId: null,
  transactions: [{ id: HASH, operation: 'CREATE', assetIds: [HASH], publicKeys: ['<base58 public key>'] }],
  rejected: [],
  digest: '',
  ingestedAt: 0,
};

/** A `Record` over StreamName: a stream added to the protocol catalog fails to compile here until it has one. */
export function exampleFrame(stream: StreamName, profile: FrameProfile): unknown {
  const tx = EXAMPLE_BLOCK.transactions[0]!;
  const frames: Record<StreamName, () => string> = {
    valid_transactions: () => validTransactionFrame(profile, EXAMPLE_BLOCK.height, tx),
    valid_blocks: () => validBlockFrame(EXAMPLE_BLOCK),
    valid_tx: () => legacyValidTxFrame(EXAMPLE_BLOCK, tx),
    invalid_transactions: () =>
      invalidTransactionFrame(EXAMPLE_BLOCK.height, {
        id: HASH,
        code: 1,
        reason: '<why the network rejected it>',
      }),
    events: () => blockValidEventFrame(EXAMPLE_BLOCK),
  };
  return JSON.parse(frames[stream]());
}
