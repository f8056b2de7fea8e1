/**
 * The defaults `blockcast` takes from its environment, read once: where `npm start` listens on
 * one machine unless BLOCKCAST_* variables say otherwise. Flags override them.
 */
export interface CliDefaults {
  /** BLOCKCAST_API_ROOT: discovery's API root (tail, catalog, status). */
  apiRoot: string;
  /** BLOCKCAST_INGEST_URL: ingest (emit). */
  ingestUrl: string;
  /** BLOCKCAST_TOKEN: ingest's bearer token (emit). */
  token: string | undefined;
  /** Whether stdout is a terminal: `pretty` output there, JSON lines when piped. */
  tty: boolean;
}

export function loadCliDefaults(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): CliDefaults {
  return {
    apiRoot: env.BLOCKCAST_API_ROOT || 'http://localhost:9984/api/v1/',
    ingestUrl: env.BLOCKCAST_INGEST_URL || 'http://localhost:9986',
    token: env.BLOCKCAST_TOKEN || undefined,
    tty: stdoutIsTty,
  };
}
