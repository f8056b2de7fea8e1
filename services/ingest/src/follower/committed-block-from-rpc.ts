import type { CommittedBlock, RejectedTransaction, Transaction } from '@blockcast/protocol';
import { unsafeNumberAt } from '../json-numbers.js';
import { type RpcBlock, type RpcBlockResults, txResultsOf } from './rpc-shapes.js';

/** A committed transaction that is not BigchainDB transaction JSON: it cannot be streamed, so it is skipped and counted. */
export interface SkippedTransaction {
  index: number;
  reason: string;
}

export interface DecodedBlock {
  block: CommittedBlock;
  skipped: SkippedTransaction[];
}

const HEX_ID = /^[0-9a-f]{64}$/;

/**
 * The block as ingest's POST route takes it: the base64 transactions decoded as BigchainDB JSON,
 * those with result code 0 in `transactions`, the others in `rejected` with their code and log.
 * `hash` is the block's own hash (the block ID); the app hash of a block only appears in the next.
 */
export function committedBlockFromRpc(rpcBlock: RpcBlock, rpcResults: RpcBlockResults): DecodedBlock {
  const height = Number(rpcBlock.block.header.height);
  if (!Number.isSafeInteger(height)) {
    throw new Error(`block height ${rpcBlock.block.header.height} is beyond 2^53: it cannot be kept exactly`);
  }
  const txs = rpcBlock.block.data.txs ?? [];
  const results = txResultsOf(rpcResults);
  if (Number(rpcResults.height) !== height) {
    throw new Error(`block_results is for height ${rpcResults.height}, the block is ${height}`);
  }
  if (results.length !== txs.length) {
    throw new Error(`block ${height} has ${txs.length} transactions but ${results.length} results`);
  }
  const transactions: Transaction[] = [];
  const rejected: RejectedTransaction[] = [];
  const skipped: SkippedTransaction[] = [];
  txs.forEach((encoded, index) => {
    const decoded = decodeTransaction(encoded);
    if (typeof decoded === 'string') {
      skipped.push({ index, reason: decoded });
      return;
    }
    const result = results[index]!;
    const code = result.code ?? 0;
    if (code === 0) transactions.push(decoded);
    else rejected.push({ transaction: decoded, code, log: result.log ?? '' });
  });
  const block: CommittedBlock = {
    height,
    hash: rpcBlock.block_id.hash,
    chain_id: rpcBlock.block.header.chain_id,
    transactions,
  };
  if (rejected.length > 0) block.rejected = rejected;
  return { block, skipped };
}

/** The transaction, or why it is not one. */
function decodeTransaction(encoded: string): Transaction | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const { id, operation } = parsed as { id?: unknown; operation?: unknown };
  if (typeof id !== 'string' || !HEX_ID.test(id)) return 'no id of 64 lowercase hex characters';
  if (typeof operation !== 'string' || operation === '') return 'no operation';
  const unsafe = unsafeNumberAt(parsed);
  if (unsafe !== undefined) {
    return `a number that cannot be kept exactly (infinite, or an integer beyond 2^53) at ${unsafe}`;
  }
  return parsed as Transaction;
}
