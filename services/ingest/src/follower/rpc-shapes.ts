/**
 * The parts of CometBFT/Tendermint JSON-RPC answers the follower reads. Heights are decimal
 * strings in every version; `block_results` differs by version:
 * - CometBFT 0.38: `txs_results` (ExecTxResult, from FinalizeBlock) beside `finalize_block_events`;
 * - Tendermint 0.34 / CometBFT 0.37: `txs_results` (ResponseDeliverTx) beside `begin_block_events`;
 * - Tendermint 0.32/0.33: `results.deliver_tx`.
 * Empty blocks have `txs_results: null` and `data.txs: null` (or []).
 */
export interface RpcStatus {
  node_info?: { network?: string; version?: string };
  sync_info: { latest_block_height: string; earliest_block_height?: string; catching_up?: boolean };
}

export interface RpcBlock {
  block_id: { hash: string };
  block: {
    header: { height: string; chain_id: string; time?: string };
    data: { txs: string[] | null };
  };
}

export interface RpcTxResult {
  code?: number;
  log?: string;
  codespace?: string;
}

export interface RpcBlockResults {
  height: string;
  txs_results?: RpcTxResult[] | null;
  results?: { deliver_tx?: RpcTxResult[] | null };
}

/** Results in transaction order, whichever version's field holds them. */
export function txResultsOf(results: RpcBlockResults): RpcTxResult[] {
  return results.txs_results ?? results.results?.deliver_tx ?? [];
}
