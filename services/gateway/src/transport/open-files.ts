import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every connection costs the gateway one file descriptor, and uWS accepts in a loop that spins
 * at 100 % CPU when accept(2) fails with EMFILE. Node has no getrlimit, so the limit is read
 * from /proc/self/limits (Linux; elsewhere it is unknown and nothing is adjusted).
 */
export function readOpenFilesLimit(limits = readProcLimits()): number | undefined {
  const soft = /^Max open files\s+(\S+)/m.exec(limits ?? '')?.[1];
  if (soft === undefined || soft === 'unlimited') return undefined;
  const value = Number(soft);
  return Number.isSafeInteger(value) ? value : undefined;
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Descriptors open in this process now; undefined where /proc is not there, `'exhausted'` when
 * not even the directory can be opened. Costs about a microsecond per descriptor.
 */
export function countOpenFiles(): number | 'exhausted' | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? 'exhausted' : undefined;
  }
}

export class OpenFilesLimitError extends Error {
  readonly code = 'GATEWAY_OPEN_FILES_LIMIT';
  constructor(limit: number, reserve: number) {
    super(
      `the open-files limit (${limit}) leaves no descriptor for clients after GATEWAY_FD_RESERVE (${reserve}): ` +
        'raise it (ulimit -n, systemd LimitNOFILE, the container runtime’s nofile ulimit)',
    );
    this.name = 'OpenFilesLimitError';
  }
}

export interface ConnectionCapacity {
  /** The connection limit the gateway enforces (1013 beyond it). */
  maxConnections: number;
  /** Set when GATEWAY_MAX_CONNECTIONS had to be lowered: what to tell the operator. */
  lowered?: string;
}

/**
 * Lowers the connection limit to what the open-files limit can hold beside `reserve` descriptors
 * for everything else (Redis, probes, sockets still in their handshake), rather than refuse to
 * start: a gateway that serves fewer clients beats one that does not run, and the warning says
 * how to get the rest.
 */
export function fitToOpenFiles(
  configured: number,
  limit: number | undefined,
  reserve: number,
): ConnectionCapacity {
  if (limit === undefined || configured + reserve <= limit) return { maxConnections: configured };
  const fits = limit - reserve;
  if (fits < 1) throw new OpenFilesLimitError(limit, reserve);
  return {
    maxConnections: fits,
    lowered:
      `GATEWAY_MAX_CONNECTIONS=${configured} does not fit the open-files limit (${limit}) ` +
      `with GATEWAY_FD_RESERVE=${reserve}: serving at most ${fits} connections; raise the limit ` +
      '(ulimit -n, systemd LimitNOFILE, the container runtime’s nofile ulimit) to serve more',
  };
}
