/** A server under test in bench/peers-compare.ts, whichever it is, and how a client speaks to it. */
import type { ClientKind } from '../gateway-bench-shared.js';
import type { RunningServer } from '../gateway-servers.js';

export interface PeerServer extends RunningServer {
  clientKind: ClientKind;
  /** Node processes with bench/gateway-gc-hook.ts: SIGUSR2 runs a full GC before an RSS reading. */
  collectsGarbageOnSignal: boolean;
  /** How a cut client gets what it missed, or undefined: it does not. */
  recovery: string | undefined;
  /** Query string a resuming client adds to its URL (blockcast's `since` and `epoch`), if the peer takes one. */
  resumeQuery?: (since: number) => Promise<string>;
}
